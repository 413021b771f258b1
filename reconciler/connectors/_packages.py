"""Installer files: the local package store and the ``.intunewin`` container.

:class:`LocalPackageStore` reads a package from a directory (by default the fleet repo),
refusing paths that leave it, and verifies the SHA-256 and size Git declares — what is
uploaded is what was reviewed. :func:`read_intunewin` opens the real ``.intunewin``
container (a zip holding ``IntuneWinPackage/Metadata/Detection.xml`` with the encryption
info and ``IntuneWinPackage/Contents/IntunePackage.intunewin``, the encrypted payload that
gets uploaded).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from reconciler.domain.errors import PackageError
from reconciler.domain.tenant import PackageRef

DETECTION_XML = "IntuneWinPackage/Metadata/Detection.xml"
CONTENT = "IntuneWinPackage/Contents/IntunePackage.intunewin"
_ENCRYPTION_FIELDS = {
    "EncryptionKey": "encryptionKey",
    "MacKey": "macKey",
    "InitializationVector": "initializationVector",
    "Mac": "mac",
    "ProfileIdentifier": "profileIdentifier",
    "FileDigest": "fileDigest",
    "FileDigestAlgorithm": "fileDigestAlgorithm",
}


class LocalPackageStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def read(self, ref: PackageRef) -> bytes:
        path = (self.root / ref.file).resolve()
        if self.root not in path.parents:
            raise PackageError(f"package {ref.file!r} is outside the package store")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PackageError(f"package {ref.file!r} cannot be read: {exc.strerror}") from exc
        if ref.size_bytes is not None and len(data) != ref.size_bytes:
            raise PackageError(
                f"package {ref.file!r} is {len(data)} bytes; the intent declares {ref.size_bytes}"
            )
        digest = hashlib.sha256(data).hexdigest()
        if ref.sha256 is not None and digest != ref.sha256:
            raise PackageError(
                f"package {ref.file!r} has sha256 {digest}; the intent declares {ref.sha256}"
            )
        return data

    def script(self, file: str) -> bytes:
        path = self.root / file
        try:
            if path.is_symlink():
                raise PackageError(f"detection script {file!r} is a symbolic link; refused")
            if self.root not in path.resolve().parents:
                raise PackageError(f"detection script {file!r} is outside the package store")
            return path.read_bytes()
        except OSError as exc:
            raise PackageError(f"detection script {file!r} cannot be read: {exc.strerror}") from exc


@dataclass(frozen=True, slots=True)
class IntuneWin:
    setup_file: str
    unencrypted_size: int
    encrypted: bytes
    encryption_info: dict[str, Any]


def read_intunewin(data: bytes, name: str = "package") -> IntuneWin:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            detection = archive.read(DETECTION_XML)
            encrypted = archive.read(CONTENT)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise PackageError(f"{name} is not an .intunewin package: {exc}") from exc
    try:
        root = ElementTree.fromstring(detection)  # noqa: S314 - our own package, no DTDs
    except ElementTree.ParseError as exc:
        raise PackageError(f"{name}: Detection.xml is not XML: {exc}") from exc
    info = root.find("EncryptionInfo")
    if info is None:
        raise PackageError(f"{name}: Detection.xml has no EncryptionInfo")
    encryption: dict[str, Any] = {
        graph: (info.findtext(xml) or "").strip() for xml, graph in _ENCRYPTION_FIELDS.items()
    }
    missing = [k for k, v in encryption.items() if not v]
    if missing:
        raise PackageError(f"{name}: EncryptionInfo lacks {', '.join(missing)}")
    encryption["@odata.type"] = "#microsoft.graph.fileEncryptionInfo"
    try:
        size = int(root.findtext("UnencryptedContentSize") or "")
    except ValueError as exc:
        raise PackageError(f"{name}: Detection.xml has no UnencryptedContentSize") from exc
    return IntuneWin(root.findtext("SetupFile") or "", size, encrypted, encryption)
