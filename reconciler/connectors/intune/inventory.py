"""Intune import reading: every win32LobApp with its assignments, as neutral
:class:`~reconciler.domain.documents.imported.TenantObject` s for ``eucora import``.

The minimum reads: the app list (paged, ``$top`` per page) and the assignments of all
apps through ``$batch`` (20 per call); nothing per app. Detection rules are read back
into the intent's ``detection`` block where the rule is one EUCORA writes (MSI product
code, file, registry); anything else is left for a TODO.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from reconciler.domain.documents.imported import TenantObject
from reconciler.domain.tenant import Assignment, Platform, parse_marker

_OPERATORS = {
    "equal": "equal",
    "notEqual": "notEqual",
    "greaterThan": "greaterThan",
    "greaterThanOrEqual": "greaterThanOrEqual",
    "lessThan": "lessThan",
    "lessThanOrEqual": "lessThanOrEqual",
}


def detection_of(rules: Any) -> dict[str, Any] | None:
    """The intent detection block for the first detection rule Graph holds, if EUCORA
    can express it."""
    for rule in rules or ():
        if not isinstance(rule, Mapping) or rule.get("ruleType", "detection") != "detection":
            continue
        kind = str(rule.get("@odata.type", "")).rsplit(".", 1)[-1]
        if kind == "win32LobAppProductCodeRule" and rule.get("productCode"):
            block: dict[str, Any] = {"type": "msiProductCode", "productCode": rule["productCode"]}
            if rule.get("productVersion"):
                block["productVersion"] = str(rule["productVersion"])
                block["operator"] = _OPERATORS.get(str(rule.get("productVersionOperator")), "equal")
            return block
        if kind == "win32LobAppFileSystemRule" and rule.get("path"):
            block = {
                "type": "file",
                "path": rule["path"],
                "fileOrFolderName": rule.get("fileOrFolderName") or "",
            }
            if rule.get("comparisonValue") is not None:
                block["value"] = str(rule["comparisonValue"])
                block["operator"] = _OPERATORS.get(str(rule.get("operator")), "equal")
            return block
        if kind == "win32LobAppRegistryRule" and rule.get("keyPath"):
            block = {"type": "registry", "path": rule["keyPath"]}
            if rule.get("valueName"):
                block["valueName"] = rule["valueName"]
            if rule.get("comparisonValue") is not None:
                block["value"] = str(rule["comparisonValue"])
                block["operator"] = _OPERATORS.get(str(rule.get("operator")), "equal")
            return block
    return None


def tenant_object(
    provider: str, app: Mapping[str, Any], assignments: tuple[Assignment, ...]
) -> TenantObject:
    """One win32LobApp (as Graph returns it) as an import record."""
    marker = parse_marker(app.get("notes"))
    architectures = [
        a for a in str(app.get("applicableArchitectures") or "").split(",") if a and a != "none"
    ]
    fields: dict[str, Any] = {
        "installCommand": app.get("installCommandLine"),
        "uninstallCommand": app.get("uninstallCommandLine"),
        "detection": detection_of(app.get("rules")),
    }
    if app.get("setupFilePath"):
        fields["setupFile"] = app["setupFilePath"]
    if architectures:
        fields["architectures"] = architectures
    size = app.get("size")
    return TenantObject(
        provider=provider,
        platform=Platform.WINDOWS,
        id=str(app["id"]),
        name=str(app.get("displayName") or ""),
        version=str(app.get("displayVersion") or ""),
        publisher=str(app.get("publisher") or ""),
        description=str(app.get("description") or ""),
        managed_by=marker.intent if marker else None,
        properties=MappingProxyType(dict(app)),
        assignments=tuple(sorted(assignments)),
        file_name=str(app.get("fileName") or ""),
        # Graph holds the encrypted .intunewin's size, never the source installer's hash
        sha256=None,
        size_bytes=int(size) if isinstance(size, int) and size > 0 else None,
        package_fields=MappingProxyType(fields),
    )
