"""The ``jamf`` provider's rendering of an intent: Jamf Pro package and policy properties.

Sits in the evaluate step, before planning: Jamf Pro package fields (fileName,
rebootRequired, osRequirements, …) plus ``policyEnabled`` / ``policyFrequency`` for the
Classic policy that installs it. The policy fields are optional for drift: the tenant shows
them once the policy exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from reconciler.domain.documents.models import DeploymentIntent, MacosPackage
from reconciler.domain.documents.package_source import file_name as package_file_name
from reconciler.domain.evaluation.render import display_name
from reconciler.domain.tenant import DesiredApp, PackageRef, Platform

#: how the plan speaks of this provider's writes
WORDS = {
    "adopt": "adopt Jamf Pro package and policy made outside EUCORA",
    "create-app": "create Jamf Pro package",
    "upload-content": "upload package file",
    "update-app": "update package and policy",
    "set-assignments": "scope policies to ring groups",
    "delete-app": "delete package and policies",
}
#: properties of the install policy: absent until the policy exists
POLICY_PROPERTIES = frozenset({"policyEnabled", "policyFrequency"})


def render(
    intent: DeploymentIntent, package: MacosPackage, scripts: Mapping[str, bytes]
) -> DesiredApp:
    """The package and policy an intent's macOS package wants."""
    return _macos(intent, package)


def _macos(intent: DeploymentIntent, package: MacosPackage) -> DesiredApp:
    file_name = package_file_name(package.file)
    properties: dict[str, Any] = {
        "packageName": f"{intent.app.name} {intent.app.version}",
        "fileName": file_name,
        "rebootRequired": package.reboot_required,
        "osRequirements": package.minimum_os_version or "",
        "info": intent.app.description,
        "bundleId": package.bundle_id,
        "bundleVersion": package.bundle_version or intent.app.version,
        "policyEnabled": True,
        "policyFrequency": "Once per computer",
    }
    return DesiredApp(
        intent=intent.name,
        digest=intent.digest,
        platform=Platform.MACOS,
        display_name=display_name(intent),
        version=intent.app.version,
        publisher=intent.app.publisher,
        description=intent.app.description or display_name(intent),
        package=PackageRef(package.file, package.sha256, package.size_bytes),
        properties=MappingProxyType(properties),
        provider="jamf",
        optional=POLICY_PROPERTIES,
    )
