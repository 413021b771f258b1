"""Generates ``reconciler/sandbox/graph_schema.json`` from Microsoft's Graph SDK models.

The emulated Graph refuses, like OData, any property a type does not declare in the API
version called, and enum values the enum lacks. Which properties a type declares is not
written by hand: it comes from Microsoft's generated models, ``msgraph-sdk`` for v1.0 and
``msgraph-beta-sdk`` for beta. Each model's ``get_field_deserializers()`` lists the JSON
names of its properties (inherited ones included); the dataclass annotations give their
types; enum classes give the enum members. Navigation properties (to other entities) are
listed apart: they are not part of an entity's body.

Run ``python tools/graph_schema.py`` after upgrading either SDK; the test
``tests/sandbox/test_graph_schema.py`` regenerates the file from the installed SDKs and
fails when the committed one differs.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import importlib.metadata
import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parents[1] / "reconciler" / "sandbox" / "graph_schema.json"
SDKS = {"v1.0": ("msgraph", "msgraph-sdk"), "beta": ("msgraph_beta", "msgraph-beta-sdk")}
#: the types the emulated Graph accepts and returns; what they reference is added
ROOTS = (
    "win32LobApp",
    "macOSLobApp",
    "macOSDmgApp",
    "macOSPkgApp",
    "mobileAppAssignment",
    "mobileAppContent",
    "mobileAppContentFile",
    "fileEncryptionInfo",
    # derived types that appear where their base type is declared
    "groupAssignmentTarget",
    "exclusionGroupAssignmentTarget",
    "allDevicesAssignmentTarget",
    "allLicensedUsersAssignmentTarget",
    "win32LobAppFileSystemRule",
    "win32LobAppRegistryRule",
    "win32LobAppProductCodeRule",
    "win32LobAppPowerShellScriptRule",
    "win32LobAppAssignmentSettings",
    "macOsLobAppAssignmentSettings",
)
#: Graph's CSDL marks these enums IsFlags="true": values combine with commas
FLAGS = ("windowsArchitecture",)
PRIMITIVES = {
    "str": "Edm.String",
    "bool": "Edm.Boolean",
    "int": "Edm.Int32",
    "float": "Edm.Double",
    "bytes": "Edm.Binary",
    "UUID": "Edm.Guid",
    "datetime.datetime": "Edm.DateTimeOffset",
    "datetime.date": "Edm.Date",
    "datetime.time": "Edm.TimeOfDay",
    "datetime.timedelta": "Edm.Duration",
}
_IMPORT = re.compile(r"from \.(\w+) import (\w+)")
_OPTIONAL = re.compile(r"^Optional\[(?P<inner>.+)\]$")
_LIST = re.compile(r"^list\[(?P<inner>.+)\]$")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _odata_name(class_name: str) -> str:
    return class_name[0].lower() + class_name[1:]


def _normal(name: str) -> str:
    return name.replace("_", "").replace("@", "").replace(".", "").lower()


class _Models:
    """Model and enum classes of one SDK, found by name the way kiota lays them out."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.entity = self.load_module("entity").Entity

    def is_model(self, cls: type) -> bool:
        return cls.__module__.startswith(f"{self.package}.generated.models.")

    def load_module(self, module: str) -> Any:
        return importlib.import_module(f"{self.package}.generated.models.{module}")

    def by_odata_name(self, name: str) -> type | None:
        class_name = name[0].upper() + name[1:]
        candidates = [_snake(class_name), _snake(class_name).replace("_o_s_", "_os_")]
        for module in candidates:
            try:
                found: type = getattr(self.load_module(module), class_name)
            except (ImportError, AttributeError):
                continue
            return found
        return None

    def imports_of(self, cls: type) -> dict[str, str]:
        source = inspect.getsource(sys.modules[cls.__module__])
        return {name: module for module, name in _IMPORT.findall(source)}


def _type_name(annotation: str, imports: dict[str, str], models: _Models) -> tuple[str, Any]:
    """(OData type name, class or None) of a dataclass field annotation."""
    text = annotation.strip()
    optional = _OPTIONAL.match(text)
    if optional:
        text = optional["inner"].strip()
    collection = _LIST.match(text)
    if collection:
        inner, cls = _type_name(collection["inner"], imports, models)
        return f"Collection({inner})", cls
    if text in PRIMITIVES:
        return PRIMITIVES[text], None
    module = imports.get(text)
    if module is None:
        raise LookupError(f"cannot resolve type {text!r}")
    cls = getattr(models.load_module(module), text)
    return f"microsoft.graph.{_odata_name(text)}", cls


def describe(package: str) -> dict[str, Any]:
    """Types (properties, navigation, base) and enums reachable from ROOTS in one SDK."""
    models = _Models(package)
    types: dict[str, Any] = {}
    enums: dict[str, Any] = {}
    pending = [cls for name in ROOTS if (cls := models.by_odata_name(name)) is not None]
    while pending:
        cls = pending.pop()
        name = f"microsoft.graph.{_odata_name(cls.__name__)}"
        if name in types or name in enums:
            continue
        if issubclass(cls, enum.Enum):
            values = [str(member.value) for member in cls]
            enums[name] = {"members": values, "flags": _odata_name(cls.__name__) in FLAGS}
            continue
        instance = cls()
        wire_names = sorted(instance.get_field_deserializers())
        fields: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            if dataclasses.is_dataclass(klass) and models.is_model(klass):
                imports = models.imports_of(klass)
                # the fields the class itself declares, typed by the names its module imports
                for attribute, annotation in vars(klass).get("__annotations__", {}).items():
                    if attribute not in {"backing_store", "additional_data", "odata_type"}:
                        fields[_normal(attribute)] = _type_name(str(annotation), imports, models)
        properties: dict[str, str] = {}
        navigation: dict[str, str] = {}
        for wire in wire_names:
            if wire == "@odata.type":
                continue
            type_name, ref = fields[_normal(wire)]
            is_entity = isinstance(ref, type) and issubclass(ref, models.entity)
            if is_entity and wire != "id":
                navigation[wire] = type_name
                continue
            properties[wire] = type_name
            if isinstance(ref, type):
                pending.append(ref)
        base = cls.__mro__[1]
        has_base = base is not models.entity and models.is_model(base)
        types[name] = {
            "base": f"microsoft.graph.{_odata_name(base.__name__)}" if has_base else None,
            "entity": issubclass(cls, models.entity),
            "properties": properties,
            "navigation": navigation,
        }
        if has_base:
            pending.append(base)
    return {
        "types": dict(sorted(types.items())),
        "enums": dict(sorted(enums.items())),
    }


def generate() -> dict[str, Any]:
    document: dict[str, Any] = {
        "comment": "generated by tools/graph_schema.py from Microsoft's Graph SDK models; "
        "do not edit",
        "sources": {},
        "versions": {},
    }
    for version, (package, distribution) in SDKS.items():
        document["sources"][version] = f"{distribution} {importlib.metadata.version(distribution)}"
        document["versions"][version] = describe(package)
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=False) + "\n"


def main() -> None:
    OUTPUT.write_text(render(generate()), encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
