"""Intune content encryption for installers that arrive unencrypted (``.pkg``, ``.dmg``).

Sits in the apply step, inside the content upload of the ``intune-macos`` provider. A
``.intunewin`` comes encrypted by Microsoft's packaging tool; a macOS installer does not, so
the uploader encrypts it and tells Intune how at commit (``fileEncryptionInfo``). The format
is the one Microsoft's own samples (intune-my-macs ``EncryptFile``), IntuneBrew and
Intuneomator write, byte for byte::

    blob = mac ‖ IV ‖ AES-256-CBC(encryptionKey, IV, PKCS7(plaintext))
    mac  = HMAC-SHA256(macKey, IV ‖ ciphertext)

with ``fileDigest`` the SHA-256 of the plaintext, ``fileDigestAlgorithm`` ``SHA256`` and
``profileIdentifier`` ``ProfileVersion1``; binary values travel base64-encoded.

:class:`ContentEncryptor` works on pieces, so nothing needs the encrypted copy whole: the
size of the blob is known from the plaintext's (:func:`encrypted_size`), the IV and
ciphertext stream out as they are made, and the MAC that heads the blob comes last.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

KEY_SIZE = 32
IV_SIZE = 16
MAC_SIZE = 32
AES_BLOCK = 16
PROFILE = "ProfileVersion1"
DIGEST_ALGORITHM = "SHA256"


def encrypted_size(plain_size: int) -> int:
    """Bytes of the blob for a plaintext of ``plain_size`` (PKCS7 always pads 1–16 bytes)."""
    if plain_size < 0:
        raise ValueError("a size cannot be negative")
    return MAC_SIZE + IV_SIZE + (plain_size // AES_BLOCK + 1) * AES_BLOCK


@dataclass(frozen=True, slots=True)
class ContentKeys:
    """A fresh AES key, HMAC key and IV per upload; never logged, never reused."""

    encryption_key: bytes = field(repr=False)
    mac_key: bytes = field(repr=False)
    iv: bytes

    def __post_init__(self) -> None:
        if len(self.encryption_key) != KEY_SIZE or len(self.mac_key) != KEY_SIZE:
            raise ValueError("the AES and HMAC keys must be 32 bytes")
        if len(self.iv) != IV_SIZE:
            raise ValueError("the IV must be 16 bytes")

    @classmethod
    def generate(cls) -> ContentKeys:
        key, mac_key = secrets.token_bytes(KEY_SIZE), secrets.token_bytes(KEY_SIZE)
        return cls(key, mac_key, secrets.token_bytes(IV_SIZE))


class ContentEncryptor:
    """Encrypts one installer piece by piece.

    The body of the blob (IV ‖ ciphertext) comes from :meth:`start`, :meth:`update` and
    :meth:`finish`, in that order; :attr:`mac` (the blob's first 32 bytes) and
    :meth:`encryption_info` are known once :meth:`finish` has run.
    """

    def __init__(self, keys: ContentKeys | None = None) -> None:
        self.keys = keys or ContentKeys.generate()
        self._cipher = Cipher(algorithms.AES(self.keys.encryption_key), modes.CBC(self.keys.iv))
        self._encryptor = self._cipher.encryptor()
        self._padder = padding.PKCS7(AES_BLOCK * 8).padder()
        self._mac = hmac.new(self.keys.mac_key, digestmod=hashlib.sha256)
        self._digest = hashlib.sha256()
        self._started = False
        self._finished: bytes | None = None
        self.plain_size = 0

    def start(self) -> bytes:
        """The first piece of the body: the IV."""
        if self._started:
            raise RuntimeError("the encryptor has already started")
        self._started = True
        self._mac.update(self.keys.iv)
        return self.keys.iv

    def update(self, plain: bytes | memoryview) -> bytes:
        """Ciphertext for the next plaintext piece (whole AES blocks only, maybe empty)."""
        if not self._started or self._finished is not None:
            raise RuntimeError("update() belongs between start() and finish()")
        self._digest.update(plain)
        self.plain_size += len(plain)
        out = self._encryptor.update(self._padder.update(bytes(plain)))
        self._mac.update(out)
        return out

    def finish(self) -> bytes:
        """The last ciphertext piece (the padded final block)."""
        if not self._started or self._finished is not None:
            raise RuntimeError("finish() comes once, after start()")
        out = self._encryptor.update(self._padder.finalize()) + self._encryptor.finalize()
        self._mac.update(out)
        self._finished = self._mac.digest()
        return out

    @property
    def mac(self) -> bytes:
        if self._finished is None:
            raise RuntimeError("the MAC is known once finish() has run")
        return self._finished

    @property
    def file_digest(self) -> bytes:
        """SHA-256 of the plaintext seen so far (all of it once finished)."""
        return self._digest.digest()

    def encryption_info(self) -> dict[str, Any]:
        """``fileEncryptionInfo`` for the commit, as Graph's JSON wants it (base64)."""

        def b64(value: bytes) -> str:
            return base64.b64encode(value).decode("ascii")

        return {
            "@odata.type": "#microsoft.graph.fileEncryptionInfo",
            "encryptionKey": b64(self.keys.encryption_key),
            "macKey": b64(self.keys.mac_key),
            "initializationVector": b64(self.keys.iv),
            "mac": b64(self.mac),
            "profileIdentifier": PROFILE,
            "fileDigest": b64(self.file_digest),
            "fileDigestAlgorithm": DIGEST_ALGORITHM,
        }


def encrypt_pieces(
    pieces: Iterable[bytes | memoryview], encryptor: ContentEncryptor
) -> Iterator[bytes]:
    """The body (IV ‖ ciphertext) for ``pieces`` of plaintext; the MAC is on the encryptor."""
    yield encryptor.start()
    for piece in pieces:
        out = encryptor.update(piece)
        if out:
            yield out
    yield encryptor.finish()


def encrypt(plain: bytes, keys: ContentKeys | None = None) -> tuple[bytes, dict[str, Any]]:
    """The whole blob and its ``fileEncryptionInfo`` (small files and tests)."""
    encryptor = ContentEncryptor(keys)
    body = b"".join(encrypt_pieces([plain], encryptor))
    return encryptor.mac + body, encryptor.encryption_info()
