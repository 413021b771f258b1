"""Jamf Pro import reading: every package and the Classic policies that install it, as
neutral :class:`~reconciler.domain.documents.imported.TenantObject` s for ``eucora import``.

The minimum reads: the package list (Jamf Pro API, paged), the Classic policy list (one
call) and each policy once (the Classic API has no bulk read of scope and packages). A
package is paired with the first policy, by id, that installs it; its scope becomes the
assignments. Jamf Pro reports a package's SHA-256 once it has the file, so the draft
names it; the bundle id comes from the notes line EUCORA writes, else a TODO.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from reconciler.connectors.jamf.policies import Policy
from reconciler.domain.documents.imported import TenantObject
from reconciler.domain.tenant import Platform, parse_marker

HASH_TYPES = {"SHA_256", "SHA256"}


def package_object(
    provider: str, package: Mapping[str, Any], policy: Policy | None, bundle: Mapping[str, str]
) -> TenantObject:
    """One package (and the policy that installs it) as an import record."""
    marker = parse_marker(package.get("notes"))
    sha256 = package.get("sha256")
    if not sha256 and str(package.get("hashType") or "").upper() in HASH_TYPES:
        sha256 = package.get("hashValue")
    size = str(package.get("size") or "")
    fields: dict[str, Any] = {"bundleId": bundle.get("id")}
    if bundle.get("version"):
        fields["bundleVersion"] = bundle["version"]
    if package.get("rebootRequired"):
        fields["rebootRequired"] = True
    related = {"policy": policy.id} if policy is not None else {}
    return TenantObject(
        provider=provider,
        platform=Platform.MACOS,
        id=str(package["id"]),
        name=str(package.get("packageName") or ""),
        version=bundle.get("version", ""),
        publisher="",
        description=str(package.get("info") or ""),
        managed_by=marker.intent if marker else None,
        properties=MappingProxyType(dict(package)),
        assignments=tuple(sorted(set(policy.assignments()))) if policy is not None else (),
        file_name=str(package.get("fileName") or ""),
        sha256=str(sha256).lower() if sha256 else None,
        size_bytes=int(size) if size.isdigit() and int(size) > 0 else None,
        related=MappingProxyType(related),
        package_fields=MappingProxyType(fields),
    )
