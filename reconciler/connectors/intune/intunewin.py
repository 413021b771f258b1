"""The ``.intunewin`` container Intune's Win32 apps are uploaded as.

Sits in the apply step of the Intune provider: :func:`read_intunewin` opens the real
container (a zip holding ``IntuneWinPackage/Metadata/Detection.xml`` with the encryption
info and ``IntuneWinPackage/Contents/IntunePackage.intunewin``, the encrypted payload that
gets uploaded) from the verified file the package store hands out;
:meth:`IntuneWin.open_encrypted` streams that payload from the zip, so an upload never holds
the installer in memory.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from reconciler.domain.errors import PackageError

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


@dataclass(frozen=True, slots=True)
class IntuneWin:
    setup_file: str
    unencrypted_size: int
    encrypted_size: int
    encryption_info: dict[str, Any]
    source: Path | bytes

    @contextlib.contextmanager
    def open_encrypted(self) -> Iterator[IO[bytes]]:
        """The encrypted payload, read from the container as it is uploaded."""
        source = io.BytesIO(self.source) if isinstance(self.source, bytes) else self.source
        with zipfile.ZipFile(source) as archive, archive.open(CONTENT) as member:
            yield member


def read_intunewin(source: Path | bytes, name: str = "package") -> IntuneWin:
    """The container's metadata; ``source`` is its file (or, in tests, its bytes)."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
            detection = zf.read(DETECTION_XML)
            encrypted_size = zf.getinfo(CONTENT).file_size
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
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
    return IntuneWin(root.findtext("SetupFile") or "", size, encrypted_size, encryption, source)
