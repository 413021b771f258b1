"""The ``intune`` provider's rendering of an intent: Graph ``win32LobApp`` properties.

Sits in the evaluate step, before planning: the output properties use Graph's own field
names (installCommandLine, rules, returnCodes, …), so the connector sends them as they are
and compares what it reads back key by key for drift. The intent's detection block (neutral
data in the domain) becomes a ``win32LobApp*Rule``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any

from reconciler.domain.documents.models import DeploymentIntent, WindowsPackage
from reconciler.domain.documents.package_source import file_name as package_file_name
from reconciler.domain.evaluation.render import MissingScriptError, display_name
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


#: short release names → minimumSupportedWindowsRelease as Intune's portal and real clients
#: (IntuneWin32App) send it; 21H2 and 22H2 alone mean Windows 10, 23H2 and 24H2 exist only
#: for Windows 11. Other values ("1809", "21H1", "Windows11_22H2") are sent as written.
WINDOWS_RELEASES = {
    "20H2": "2H20",
    "21H2": "Windows10_21H2",
    "22H2": "Windows10_22H2",
    "23H2": "Windows11_23H2",
    "24H2": "Windows11_24H2",
}


def windows_release(value: str) -> str:
    return WINDOWS_RELEASES.get(value, value)


#: how the plan speaks of this provider's writes
WORDS = {
    "adopt": "adopt Intune win32LobApp made outside EUCORA",
    "create-app": "create Intune win32LobApp",
    "upload-content": "upload .intunewin content",
    "update-app": "update app properties",
    "set-assignments": "set assignments",
    "delete-app": "delete app",
}


def render(
    intent: DeploymentIntent, package: WindowsPackage, scripts: Mapping[str, bytes]
) -> DesiredApp:
    """The win32LobApp an intent's Windows package wants."""
    return _windows(intent, package, scripts)


def _windows(
    intent: DeploymentIntent, package: WindowsPackage, scripts: Mapping[str, bytes]
) -> DesiredApp:
    file_name = package_file_name(package.file)
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
        "rules": [detection_rule(package.detection, scripts)],
    }
    if package.minimum_windows_release:
        properties["minimumSupportedWindowsRelease"] = windows_release(
            package.minimum_windows_release
        )
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
        provider="intune",
    )


def detection_rule(detection: Any, scripts: Mapping[str, bytes] | None = None) -> dict[str, Any]:
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
    script_path = str(detection["script"])
    content = (scripts or {}).get(script_path)
    if content is None:
        raise MissingScriptError(f"detection script {script_path!r} was not read")
    return {
        "@odata.type": _GRAPH + "win32LobAppPowerShellScriptRule",
        "ruleType": "detection",
        "displayName": PurePosixPath(script_path).name,
        "enforceSignatureCheck": False,
        "runAs32Bit": False,
        "runAsAccount": None,
        "scriptContent": base64.b64encode(content).decode("ascii"),
        "operationType": "notConfigured",
        "operator": "notConfigured",
        "comparisonValue": None,
    }
