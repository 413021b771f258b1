"""What Intune checks when a content file is committed: that ``fileEncryptionInfo`` opens it.

Sits under the emulated Graph's content upload. Intune decrypts what was uploaded with the
keys the client sends at commit; a wrong key, a MAC that does not match, a digest that is
not the plaintext's or a size that differs from the file's declared ``size`` fails the
commit (``commitFileFailed``). The blob layout is Intune's: ``mac ‖ IV ‖ ciphertext`` with
``mac = HMAC-SHA256(macKey, IV ‖ ciphertext)`` and the ciphertext AES-256-CBC with PKCS7
padding; ``fileDigest`` is the SHA-256 of the plaintext (``profileIdentifier``
``ProfileVersion1``, ``fileDigestAlgorithm`` ``SHA256``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_FIELDS = ("encryptionKey", "macKey", "initializationVector", "mac", "fileDigest")
_LENGTHS = {"encryptionKey": 32, "macKey": 32, "initializationVector": 16, "mac": 32}


def content_problem(blob: bytes, info: Mapping[str, Any], plain_size: int) -> str | None:
    """None when ``info`` opens ``blob`` into ``plain_size`` bytes with the digest it names;
    else what is wrong, in the words a support engineer would use."""
    if info.get("profileIdentifier") != "ProfileVersion1":
        return f"unknown profileIdentifier {info.get('profileIdentifier')!r}"
    if str(info.get("fileDigestAlgorithm", "")).upper() != "SHA256":
        return f"unsupported fileDigestAlgorithm {info.get('fileDigestAlgorithm')!r}"
    raw: dict[str, bytes] = {}
    for name in _FIELDS:
        try:
            raw[name] = base64.b64decode(str(info.get(name) or ""), validate=True)
        except (binascii.Error, ValueError):
            return f"{name} is not base64"
        wanted = _LENGTHS.get(name)
        if wanted is not None and len(raw[name]) != wanted:
            return f"{name} is {len(raw[name])} bytes, not {wanted}"
    if len(blob) < 48 or (len(blob) - 48) % 16:
        return f"the uploaded content ({len(blob)} bytes) is not mac ‖ IV ‖ AES blocks"
    mac, iv, ciphertext = blob[:32], blob[32:48], blob[48:]
    if iv != raw["initializationVector"]:
        return "the initializationVector is not the content's"
    expected = hmac.new(raw["macKey"], iv + ciphertext, hashlib.sha256).digest()
    if not (hmac.compare_digest(mac, expected) and hmac.compare_digest(raw["mac"], expected)):
        return "the mac does not match the content"
    decryptor = Cipher(algorithms.AES(raw["encryptionKey"]), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(decryptor.update(ciphertext) + decryptor.finalize())
        plain += unpadder.finalize()
    except ValueError:
        return "the encryptionKey does not decrypt the content"
    if len(plain) != plain_size:
        return f"the content decrypts to {len(plain)} bytes; the file declares {plain_size}"
    if not hmac.compare_digest(hashlib.sha256(plain).digest(), raw["fileDigest"]):
        return "the fileDigest is not the SHA-256 of the decrypted content"
    return None
