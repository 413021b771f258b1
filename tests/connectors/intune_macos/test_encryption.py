"""Intune content encryption checked by judges that are not the code under test: OpenSSL's
command line decrypts the blob and computes the MAC and digest, NIST's AES-256-CBC vectors
pin the cipher, and the layout follows Microsoft's published samples."""

from __future__ import annotations

import base64
import hashlib
import itertools
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.connectors.intune_macos.encryption import (
    ContentEncryptor,
    ContentKeys,
    encrypt,
    encrypt_pieces,
    encrypted_size,
)

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")

# NIST SP 800-38A, F.2.5 CBC-AES256.Encrypt
NIST_KEY = bytes.fromhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
NIST_IV = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
NIST_PLAIN = bytes.fromhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
)
NIST_CIPHER = bytes.fromhex(
    "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
    "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"
)


def _openssl(*args: str, data: bytes) -> bytes:
    assert OPENSSL is not None
    return subprocess.run([OPENSSL, *args], input=data, capture_output=True, check=True).stdout


def test_nist_vector_is_the_ciphertext_after_the_iv() -> None:
    keys = ContentKeys(NIST_KEY, b"m" * 32, NIST_IV)
    blob, info = encrypt(NIST_PLAIN, keys)
    assert blob[32:48] == NIST_IV
    # 64 bytes of NIST ciphertext, then one block that is all PKCS7 padding
    assert blob[48 : 48 + 64] == NIST_CIPHER
    assert len(blob) == encrypted_size(len(NIST_PLAIN)) == 32 + 16 + 80
    assert base64.b64decode(info["initializationVector"]) == NIST_IV


@needs_openssl
@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 4096, 70_001])
def test_openssl_decrypts_the_blob_and_agrees_on_mac_and_digest(size: int, tmp_path: Path) -> None:
    plain = bytes((i * 7 + 3) % 251 for i in range(size))
    blob, info = encrypt(plain)
    key = base64.b64decode(info["encryptionKey"])
    mac_key = base64.b64decode(info["macKey"])
    iv = base64.b64decode(info["initializationVector"])
    assert blob[32:48] == iv
    decrypted = _openssl(
        "enc", "-d", "-aes-256-cbc", "-K", key.hex(), "-iv", iv.hex(), data=blob[48:]
    )
    assert decrypted == plain
    mac = _openssl(
        "dgst",
        "-sha256",
        "-binary",
        "-mac",
        "HMAC",
        "-macopt",
        f"hexkey:{mac_key.hex()}",
        data=blob[32:],
    )
    assert blob[:32] == mac == base64.b64decode(info["mac"])
    digest = _openssl("dgst", "-sha256", "-binary", data=plain)
    assert base64.b64decode(info["fileDigest"]) == digest
    assert len(blob) == encrypted_size(size)


def test_encryption_info_has_exactly_graphs_file_encryption_info_fields() -> None:
    from msgraph.generated.models.file_encryption_info import FileEncryptionInfo

    _blob, info = encrypt(b"payload")
    declared = set(FileEncryptionInfo().get_field_deserializers())
    assert set(info) == declared
    assert info["profileIdentifier"] == "ProfileVersion1"
    assert info["fileDigestAlgorithm"] == "SHA256"
    assert info["@odata.type"] == "#microsoft.graph.fileEncryptionInfo"


@settings(max_examples=40, deadline=None)
@given(plain=st.binary(max_size=2000), cuts=st.lists(st.integers(0, 2000), max_size=6))
def test_pieces_give_the_same_blob_as_the_whole(plain: bytes, cuts: list[int]) -> None:
    keys = ContentKeys.generate()
    bounds = sorted({0, len(plain), *(c for c in cuts if c <= len(plain))})
    pieces = [plain[a:b] for a, b in itertools.pairwise(bounds)]
    encryptor = ContentEncryptor(keys)
    body = b"".join(encrypt_pieces(pieces, encryptor))
    whole, info = encrypt(plain, keys)
    assert encryptor.mac + body == whole
    assert encryptor.encryption_info() == info
    assert encryptor.plain_size == len(plain)
    assert hashlib.sha256(plain).digest() == encryptor.file_digest


def test_every_upload_gets_fresh_keys_and_iv() -> None:
    first, second = ContentKeys.generate(), ContentKeys.generate()
    assert first.encryption_key != second.encryption_key
    assert first.mac_key != second.mac_key
    assert first.iv != second.iv
    assert "encryption_key" not in repr(first) and first.encryption_key.hex() not in repr(first)


def test_misuse_is_refused() -> None:
    encryptor = ContentEncryptor()
    with pytest.raises(RuntimeError):
        encryptor.update(b"x")
    encryptor.start()
    with pytest.raises(RuntimeError):
        _ = encryptor.mac
    encryptor.finish()
    with pytest.raises(RuntimeError):
        encryptor.finish()
    with pytest.raises(ValueError, match="32 bytes"):
        ContentKeys(b"short", b"m" * 32, b"i" * 16)
    with pytest.raises(ValueError):
        encrypted_size(-1)
