"""What an installer says about itself, for ``eucora intent new``.

* ``.intunewin`` (Microsoft's Win32 Content Prep Tool output): ``Detection.xml`` gives the
  name, the setup file and, for an MSI, the product code, version, publisher, execution
  context and whether it needs a reboot (the fields IntuneWinAppUtil writes under
  ``ApplicationInfo/MsiInfo``).
* ``.pkg`` (a xar archive): the component's ``PackageInfo`` gives the package identifier,
  version, the first bundle's id and whether a restart is required; a product archive's
  ``Distribution`` gives its title and the components it installs.

Always the file's SHA-256 and size, read in chunks.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import ParseError, fromstring

from reconciler.domain.errors import PackageError
from reconciler.packages._cache import file_digest
from reconciler.packages._xar import XarArchive

DETECTION_XML = "IntuneWinPackage/Metadata/Detection.xml"
_DETECTION_LIMIT = 1 << 20


@dataclass(frozen=True, slots=True)
class InstallerFacts:
    """Facts read from an installer; empty strings where the file does not say."""

    kind: str  # "intunewin" | "pkg"
    file_name: str
    sha256: str
    size: int
    name: str = ""
    version: str = ""
    publisher: str = ""
    setup_file: str = ""
    msi_product_code: str = ""
    msi_upgrade_code: str = ""
    machine_install: bool | None = None
    reboot_required: bool = False
    identifier: str = ""
    bundle_id: str = ""
    components: tuple[str, ...] = field(default_factory=tuple)


def inspect_installer(path: Path) -> InstallerFacts:
    """Facts of the installer at ``path``; :class:`PackageError` for other files."""
    sha256, size = file_digest(path)
    suffix = path.suffix.lower()
    if suffix == ".intunewin":
        return _intunewin(path, sha256, size)
    if suffix == ".pkg":
        return _pkg(path, sha256, size)
    raise PackageError(
        f"{path.name}: not an installer intent new can read (.intunewin for Intune, .pkg for macOS)"
    )


def _xml(data: bytes, what: str) -> Element:
    try:
        root: Element = fromstring(data)
    except ParseError as exc:
        raise PackageError(f"{what} is not XML: {exc}") from exc
    return root


def _text(root: Element, path: str) -> str:
    return (root.findtext(path) or "").strip()


def _intunewin(path: Path, sha256: str, size: int) -> InstallerFacts:
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(DETECTION_XML)
            if info.file_size > _DETECTION_LIMIT:
                raise PackageError(f"{path.name}: Detection.xml is implausibly large")
            detection = archive.read(info)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise PackageError(f"{path.name} is not an .intunewin package: {exc}") from exc
    root = _xml(detection, f"{path.name}: Detection.xml")
    msi = root.find("MsiInfo")
    context = "" if msi is None else _text(msi, "MsiExecutionContext")
    return InstallerFacts(
        kind="intunewin",
        file_name=path.name,
        sha256=sha256,
        size=size,
        name=_text(root, "Name"),
        setup_file=_text(root, "SetupFile"),
        version="" if msi is None else _text(msi, "MsiProductVersion"),
        publisher="" if msi is None else _text(msi, "MsiPublisher"),
        msi_product_code="" if msi is None else _text(msi, "MsiProductCode"),
        msi_upgrade_code="" if msi is None else _text(msi, "MsiUpgradeCode"),
        machine_install=None if not context else context.lower() == "system",
        reboot_required=msi is not None and _text(msi, "MsiRequiresReboot").lower() == "true",
    )


def _pkg(path: Path, sha256: str, size: int) -> InstallerFacts:
    archive = XarArchive(path, path.name)
    infos = sorted(p for p in archive.members if p == "PackageInfo" or p.endswith("/PackageInfo"))
    if not infos:
        raise PackageError(f"{path.name}: no PackageInfo in the package")
    components = [_xml(archive.read(p), f"{path.name}: {p}") for p in infos]
    main = components[0]
    title = ""
    if "Distribution" in archive.members:
        distribution = _xml(archive.read("Distribution"), f"{path.name}: Distribution")
        title = _text(distribution, "title")
        product = distribution.find("product")
        if product is not None and product.get("id"):
            main = next((c for c in components if c.get("identifier") == product.get("id")), main)
    bundle = main.find("bundle")
    app_name = ""
    if bundle is not None:
        app_name = bundle.get("path", "").rsplit("/", 1)[-1].removesuffix(".app")
    restart = any(c.get("postinstall-action") == "restart" for c in components)
    return InstallerFacts(
        kind="pkg",
        file_name=path.name,
        sha256=sha256,
        size=size,
        name=title or app_name,
        version=main.get("version", ""),
        identifier=main.get("identifier", ""),
        bundle_id=(bundle.get("id", "") if bundle is not None else "") or "",
        reboot_required=restart,
        components=tuple(c.get("identifier", "") for c in components),
    )


__all__ = ["InstallerFacts", "inspect_installer"]
