"""Renders an intent's macOS package into Graph ``macOSLobApp`` / ``macOSDmgApp`` properties.

Sits in the evaluate step for the ``intune-macos`` provider: the output uses Graph's own
field names, so the connector sends them as they are and compares what it reads back key by
key for drift. Detection is Intune's own: a Mac counts as installed when every bundle listed
(``childApps`` of a ``.pkg``, ``includedApps`` of a ``.dmg``) is present at its version or
later, or present at all when ``ignoreVersionDetection`` is set (self-updating apps).

* ``.pkg`` → ``macOSLobApp``: ``bundleId``, ``buildNumber`` (the CFBundleShortVersionString
  Intune compares), ``versionNumber``, ``childApps``, ``installAsManaged``;
* ``.dmg`` → ``macOSDmgApp``: ``primaryBundleId``, ``primaryBundleVersion``, ``includedApps``
  (a managed install is a ``.pkg``-only feature: asking for it on a ``.dmg`` is refused);
* both: ``fileName``, ``ignoreVersionDetection`` and ``minimumSupportedOperatingSystem``, in
  which exactly one release flag is true: the intent's ``minimumOsVersion`` rounded down to
  a release v1.0 has a flag for (``12.3`` → ``v12_0``; ``14.0`` and later → ``v13_0``, the
  newest v1.0 declares; the installer's own OS check still applies), ``v11_0`` when the
  intent names none.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any

from reconciler.domain.documents.models import DeploymentIntent, MacosPackage
from reconciler.domain.documents.package_source import file_name
from reconciler.domain.errors import PackageError
from reconciler.domain.tenant import DesiredApp, PackageRef, Platform

LOB = "#microsoft.graph.macOSLobApp"
DMG = "#microsoft.graph.macOSDmgApp"
MINIMUM_OS = "minimumSupportedOperatingSystem"
#: macOSMinimumOperatingSystem's release flags in Graph v1.0 (msgraph-sdk's model; beta
#: adds v14_0 and later, see docs/connectors.md), oldest first
RELEASES = (
    "v10_7",
    "v10_8",
    "v10_9",
    "v10_10",
    "v10_11",
    "v10_12",
    "v10_13",
    "v10_14",
    "v10_15",
    "v11_0",
    "v12_0",
    "v13_0",
)
DEFAULT_RELEASE = "v11_0"
#: the properties EUCORA owns per app type, compared for drift
OWNED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        LOB: (
            "fileName",
            "bundleId",
            "buildNumber",
            "versionNumber",
            "childApps",
            "ignoreVersionDetection",
            "installAsManaged",
            MINIMUM_OS,
        ),
        DMG: (
            "fileName",
            "primaryBundleId",
            "primaryBundleVersion",
            "includedApps",
            "ignoreVersionDetection",
            MINIMUM_OS,
        ),
    }
)


#: how the plan speaks of this provider's writes
WORDS: Mapping[str, str] = MappingProxyType(
    {
        "adopt": "adopt Intune macOS app made outside EUCORA",
        "create-app": "create Intune macOS app (macOSLobApp / macOSDmgApp)",
        "upload-content": "encrypt and upload .pkg / .dmg content",
        "update-app": "update app properties",
        "set-assignments": "set assignments",
        "delete-app": "delete app",
    }
)


class UnsupportedInstallerError(PackageError):
    """The package cannot be shipped through Intune for macOS as declared."""


def app_type(file: str) -> str:
    """``macOSLobApp`` for a ``.pkg``, ``macOSDmgApp`` for a ``.dmg``."""
    suffix = PurePosixPath(file_name(file)).suffix.lower()
    if suffix == ".pkg":
        return LOB
    if suffix == ".dmg":
        return DMG
    raise UnsupportedInstallerError(
        f"{file}: Intune for macOS takes a .pkg (macOSLobApp) or a .dmg (macOSDmgApp)"
    )


def release_flag(version: str | None) -> str:
    """The ``macOSMinimumOperatingSystem`` flag for a minimum macOS version."""
    if not version:
        return DEFAULT_RELEASE
    parts = [int(p) for p in version.split(".")]
    major, minor = parts[0], (parts[1] if len(parts) > 1 else 0)
    flag = f"v10_{minor}" if major == 10 else f"v{major}_0"
    if flag in RELEASES:
        return flag
    known = [k for k in RELEASES if _release_key(k) <= (major, minor)]
    if not known:
        raise UnsupportedInstallerError(f"macOS {version} is older than Intune knows")
    return known[-1]  # a release v1.0 has no flag for: the newest before it


def _release_key(flag: str) -> tuple[int, int]:
    major, minor = flag[1:].split("_")
    return (int(major), int(minor))


def minimum_os(version: str | None) -> dict[str, Any]:
    """Exactly one flag true (Graph's rule), the others false, as the portal sends them."""
    chosen = release_flag(version)
    flags = {k: k == chosen for k in RELEASES}
    return {"@odata.type": "#microsoft.graph.macOSMinimumOperatingSystem", **flags}


def render(
    intent: DeploymentIntent, package: MacosPackage, scripts: Mapping[str, bytes]
) -> DesiredApp:
    """The registry's renderer: the intent's macOS package as an Intune macOS app (no
    detection scripts: Intune detects Mac apps by their bundles). A package Intune for macOS
    cannot take is a PackageError naming the intent's file."""
    try:
        return desired_app(intent, package)
    except UnsupportedInstallerError as exc:
        raise UnsupportedInstallerError(
            f"{intent.source.file}: spec.packages.macos: {exc}"
        ) from exc


def desired_app(intent: DeploymentIntent, package: MacosPackage) -> DesiredApp:
    """The desired Intune app for the intent's macOS package."""
    kind = app_type(package.file)
    version = package.bundle_version or intent.app.version
    bundles = [(package.bundle_id, version)] + [
        (bundle, bundle_version or version) for bundle, bundle_version in package.included_apps
    ]
    common: dict[str, Any] = {
        "fileName": file_name(package.file),
        "ignoreVersionDetection": package.ignore_version_detection,
        MINIMUM_OS: minimum_os(package.minimum_os_version),
    }
    if kind == LOB:
        properties = {
            **common,
            "bundleId": package.bundle_id,
            "buildNumber": version,
            "versionNumber": intent.app.version,
            "childApps": [
                {
                    "@odata.type": "#microsoft.graph.macOSLobChildApp",
                    "bundleId": bundle,
                    "buildNumber": bundle_version,
                    "versionNumber": bundle_version,
                }
                for bundle, bundle_version in bundles
            ],
            "installAsManaged": package.install_as_managed,
        }
    else:
        if package.install_as_managed:
            raise UnsupportedInstallerError(
                f"{package.file}: installAsManaged is for a .pkg; Intune installs a .dmg unmanaged"
            )
        properties = {
            **common,
            "primaryBundleId": package.bundle_id,
            "primaryBundleVersion": version,
            "includedApps": [
                {
                    "@odata.type": "#microsoft.graph.macOSIncludedApp",
                    "bundleId": bundle,
                    "bundleVersion": bundle_version,
                }
                for bundle, bundle_version in bundles
            ],
        }
    name = f"{intent.app.name} {intent.app.version}"
    return DesiredApp(
        intent=intent.name,
        digest=intent.digest,
        platform=Platform.MACOS,
        display_name=name,
        version=intent.app.version,
        publisher=intent.app.publisher,
        description=intent.app.description or name,
        package=PackageRef(package.file, package.sha256, package.size_bytes),
        properties=MappingProxyType(properties),
    )
