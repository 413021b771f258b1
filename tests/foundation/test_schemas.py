"""The schemas are the single source of truth: complete, strict and valid Draft 2020-12."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from reconciler.domain.documents import schemas


def _walk(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every sub-schema that declares fields (``if`` conditions only test them)."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key == "if":
                continue
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


ALL = sorted(schemas.load_schemas().items())


@pytest.mark.parametrize(("name", "schema"), ALL, ids=[n for n, _ in ALL])
def test_schema_is_valid_draft_2020_12(name: str, schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/" + name)


@pytest.mark.parametrize(("name", "schema"), ALL, ids=[n for n, _ in ALL])
def test_every_property_has_a_description(name: str, schema: dict[str, Any]) -> None:
    missing = []
    for path, node in _walk(schema, ""):
        for prop, sub in (
            node.get("properties", {}).items() if isinstance(node.get("properties"), dict) else ()
        ):
            if not isinstance(sub, dict):
                continue
            if "description" in sub:
                continue
            if "$ref" in sub and _resolve(sub["$ref"], schema).get("description"):
                continue
            missing.append(f"{path}/properties/{prop}")
    assert not missing, f"{name}: no description for {missing}"


@pytest.mark.parametrize(("name", "schema"), ALL, ids=[n for n, _ in ALL])
def test_every_object_is_closed(name: str, schema: dict[str, Any]) -> None:
    open_objects = [
        path
        for path, node in _walk(schema, "")
        if "properties" in node
        and isinstance(node["properties"], dict)
        and node.get("additionalProperties") is not False
        and not path.endswith("/properties")
    ]
    assert not open_objects, f"{name}: objects without additionalProperties: false: {open_objects}"


def _resolve(ref: str, schema: dict[str, Any]) -> dict[str, Any]:
    document, _, pointer = ref.partition("#")
    target = schemas.load_schemas()[document] if document else schema
    for part in pointer.strip("/").split("/"):
        target = target[part]
    return target


def test_every_kind_has_a_schema() -> None:
    assert set(schemas.SCHEMA_FILES) == {
        "FleetConfig",
        "RiskModel",
        "DeploymentIntent",
        "CABApproval",
        "CABException",
        "Incident",
        "GovernanceApproval",
    }
    for file in schemas.SCHEMA_FILES.values():
        assert file in schemas.load_schemas()
