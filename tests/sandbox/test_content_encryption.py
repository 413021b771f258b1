"""The sandbox's commit check (does fileEncryptionInfo open the upload?) against content
that OpenSSL's command line encrypted, and against each way a client can get it wrong."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import shutil
import subprocess
from typing import Any

import pytest

from reconciler.connectors.intune_macos import encrypt
from reconciler.sandbox._encryption import content_problem

OPENSSL = shutil.which("openssl")
PLAIN = b"xar!" + bytes(range(256)) * 9
KEY, MAC_KEY, IV = bytes(range(32)), bytes(range(32, 64)), bytes(range(64, 80))


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _info(mac: bytes, digest: bytes) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.fileEncryptionInfo",
        "encryptionKey": _b64(KEY),
        "macKey": _b64(MAC_KEY),
        "initializationVector": _b64(IV),
        "mac": _b64(mac),
        "profileIdentifier": "ProfileVersion1",
        "fileDigest": _b64(digest),
        "fileDigestAlgorithm": "SHA256",
    }


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
def test_content_openssl_encrypted_passes() -> None:
    assert OPENSSL is not None
    ciphertext = subprocess.run(  # an encrypter that is not ours
        [OPENSSL, "enc", "-aes-256-cbc", "-K", KEY.hex(), "-iv", IV.hex()],
        input=PLAIN,
        capture_output=True,
        check=True,
    ).stdout
    mac = hmac.new(MAC_KEY, IV + ciphertext, hashlib.sha256).digest()
    blob = mac + IV + ciphertext
    assert content_problem(blob, _info(mac, hashlib.sha256(PLAIN).digest()), len(PLAIN)) is None


def test_the_connectors_encryption_passes() -> None:
    blob, info = encrypt(PLAIN)
    assert content_problem(blob, info, len(PLAIN)) is None


def _tampered(change: str) -> tuple[bytes, dict[str, Any], int]:
    blob, info = encrypt(PLAIN)
    size = len(PLAIN)
    if change == "ciphertext":
        blob = blob[:60] + bytes([blob[60] ^ 1]) + blob[61:]
    elif change == "mac":
        info["mac"] = _b64(bytes(32))
    elif change == "key":
        info["encryptionKey"] = _b64(bytes(32))
    elif change == "digest":
        info["fileDigest"] = _b64(hashlib.sha256(b"other").digest())
    elif change == "size":
        size += 1
    elif change == "iv":
        info["initializationVector"] = _b64(bytes(16))
    elif change == "profile":
        info["profileIdentifier"] = "ProfileVersion2"
    elif change == "truncated":
        blob = blob[:-16]
    elif change == "not-base64":
        info["macKey"] = "not base64!"
    return blob, info, size


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("ciphertext", "mac does not match"),
        ("mac", "mac does not match"),
        ("key", r"encryptionKey does not decrypt|fileDigest|decrypts to"),
        ("digest", "fileDigest is not the SHA-256"),
        ("size", "the file declares"),
        ("iv", "initializationVector"),
        ("profile", "profileIdentifier"),
        ("truncated", "mac does not match"),
        ("not-base64", "macKey is not base64"),
    ],
)
def test_what_intune_would_refuse_is_refused(change: str, reason: str) -> None:
    blob, info, size = _tampered(change)
    problem = content_problem(blob, info, size)
    assert problem is not None
    assert re.search(reason, problem), problem
