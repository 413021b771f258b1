"""Renders an intent into the desired app object per platform (the ``plan`` input).

The output properties use the vendors' own field names, so connectors send them as
they are and compare what they read back key by key for drift:

* Windows → Graph ``win32LobApp`` fields (installCommandLine, rules, returnCodes, …);
* macOS → Jamf Pro package fields (fileName, rebootRequired, osRequirements, …) plus
  ``policyEnabled`` / ``policyFrequency`` for the Classic policy that installs it.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any

from reconciler.domain.models import DeploymentIntent, MacosPackage, WindowsPackage
from reconciler.domain.tenant import DesiredApp, PackageRef, Platform

#: Intune's return codes when an intent declares none
DEFAULT_RETURN_CODES: tuple[tuple[int, str], ...] = (
    (0, "success"),
    (1707, "success"),
    (3010, "softReboot"),
    (1641, "hardReboot"),
    (1618, "retry"),
)

_GRAPH = "#microsoft.graph."
_OPERATORS = {
    "equal": "equal",
    "notEqual": "notEqual",
    "greaterThan": "greaterThan",
    "greaterThanOrEqual": "greaterThanOrEqual",
    "lessThan": "lessThan",
    "lessThanOrEqual": "lessThanOrEqual",
}


def desired_apps(intent: DeploymentIntent) -> tuple[DesiredApp, ...]:
    """One desired app per platform the intent ships on."""
    apps = []
    if intent.windows is not None:
        apps.append(_windows(intent, intent.windows))
    if intent.macos is not None:
        apps.append(_macos(intent, intent.macos))
    return tuple(apps)


def display_name(intent: DeploymentIntent) -> str:
    return f"{intent.app.name} {intent.app.version}"


def _windows(intent: DeploymentIntent, package: WindowsPackage) -> DesiredApp:
    file_name = PurePosixPath(package.file).name
    setup = package.setup_file or file_name.removesuffix(".intunewin")
    properties: dict[str, Any] = {
        "fileName": file_name,
        "setupFilePath": setup,
        "installCommandLine": package.install_command,
        "uninstallCommandLine": package.uninstall_command,
        "applicableArchitectures": ",".join(package.architectures),
        "installExperience": {
            "runAsAccount": "system" if intent.privileged else "user",
            "deviceRestartBehavior": package.restart_behavior,
        },
        "returnCodes": [
            {"returnCode": code, "type": kind}
            for code, kind in (package.return_codes or DEFAULT_RETURN_CODES)
        ],
        "rules": [detection_rule(package.detection)],
    }
    if package.minimum_windows_release:
        properties["minimumSupportedWindowsRelease"] = package.minimum_windows_release
    return DesiredApp(
        intent=intent.name,
        digest=intent.digest,
        platform=Platform.WINDOWS,
        display_name=display_name(intent),
        version=intent.app.version,
        publisher=intent.app.publisher,
        description=intent.app.description or display_name(intent),
        package=PackageRef(package.file, package.sha256, package.size_bytes),
        properties=MappingProxyType(properties),
    )


def detection_rule(detection: Any) -> dict[str, Any]:
    """Graph win32LobAppRule for an intent's detection block."""
    kind = detection["type"]
    if kind == "msiProductCode":
        rule: dict[str, Any] = {
            "@odata.type": _GRAPH + "win32LobAppProductCodeRule",
            "ruleType": "detection",
            "productCode": detection["productCode"],
            "productVersionOperator": "notConfigured",
            "productVersion": None,
        }
        if detection.get("productVersion"):
            rule["productVersionOperator"] = _OPERATORS.get(
                detection.get("operator", "equal"), "equal"
            )
            rule["productVersion"] = detection["productVersion"]
        return rule
    if kind == "file":
        has_value = "value" in detection
        return {
            "@odata.type": _GRAPH + "win32LobAppFileSystemRule",
            "ruleType": "detection",
            "path": detection["path"],
            "fileOrFolderName": detection["fileOrFolderName"],
            "check32BitOn64System": False,
            "operationType": "version" if has_value else "exists",
            "operator": _OPERATORS.get(detection.get("operator", "equal"), "equal")
            if has_value
            else "notConfigured",
            "comparisonValue": detection.get("value"),
        }
    if kind == "registry":
        has_value = "value" in detection
        return {
            "@odata.type": _GRAPH + "win32LobAppRegistryRule",
            "ruleType": "detection",
            "check32BitOn64System": False,
            "keyPath": detection["path"],
            "valueName": detection.get("valueName"),
            "operationType": "string" if has_value else "exists",
            "operator": _OPERATORS.get(detection.get("operator", "equal"), "equal")
            if has_value
            else "notConfigured",
            "comparisonValue": detection.get("value"),
        }
    return {
        "@odata.type": _GRAPH + "win32LobAppPowerShellScriptRule",
        "ruleType": "detection",
        "displayName": PurePosixPath(detection["script"]).name,
        "enforceSignatureCheck": False,
        "runAs32Bit": False,
        "runAsAccount": None,
        # the script body is read from the fleet repo by the connector at upload time
        "scriptPath": detection["script"],
        "operationType": "notConfigured",
        "operator": "notConfigured",
        "comparisonValue": None,
    }


def _macos(intent: DeploymentIntent, package: MacosPackage) -> DesiredApp:
    file_name = PurePosixPath(package.file).name
    properties: dict[str, Any] = {
        "packageName": f"{intent.app.name} {intent.app.version}",
        "fileName": file_name,
        "rebootRequired": package.reboot_required,
        "osRequirements": package.minimum_os_version or "",
        "info": intent.app.description,
        "bundleId": package.bundle_id,
        "bundleVersion": package.bundle_version or intent.app.version,
        "policyEnabled": True,
        "policyFrequency": "Ongoing",
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
    )
