"""JSON Schemas of the fleet-repo documents and their validation into findings.

The schemas in ``schemas/`` are the single source of truth for the document format
(the CRDs are generated from them). This module compiles one Draft 2020-12 validator
per kind, once, and turns jsonschema errors into findings with stable codes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from reconciler.domain.documents.models import parse_date, parse_datetime
from reconciler.domain.documents.resources import data_dir
from reconciler.domain.findings import Code

API_VERSION = "eucora.io/v1alpha1"

#: kind → schema file name
SCHEMA_FILES: Mapping[str, str] = {
    "FleetConfig": "fleet-config.schema.json",
    "RiskModel": "risk-model.schema.json",
    "DeploymentIntent": "deployment-intent.schema.json",
    "CABApproval": "cab-approval.schema.json",
    "CABException": "cab-exception.schema.json",
    "Incident": "incident.schema.json",
    "GovernanceApproval": "governance-approval.schema.json",
}

KINDS = tuple(SCHEMA_FILES)

_CODES = {
    "additionalProperties": Code.UNKNOWN_FIELD,
    "unevaluatedProperties": Code.UNKNOWN_FIELD,
    "required": Code.MISSING_FIELD,
    "type": Code.WRONG_TYPE,
    "enum": Code.INVALID_VALUE,
    "const": Code.INVALID_VALUE,
    "pattern": Code.INVALID_FORMAT,
    "format": Code.INVALID_FORMAT,
    "propertyNames": Code.INVALID_FORMAT,
    "minimum": Code.OUT_OF_RANGE,
    "maximum": Code.OUT_OF_RANGE,
    "exclusiveMinimum": Code.OUT_OF_RANGE,
    "exclusiveMaximum": Code.OUT_OF_RANGE,
    "minLength": Code.OUT_OF_RANGE,
    "maxLength": Code.OUT_OF_RANGE,
    "minItems": Code.OUT_OF_RANGE,
    "maxItems": Code.OUT_OF_RANGE,
    "minProperties": Code.OUT_OF_RANGE,
    "maxProperties": Code.OUT_OF_RANGE,
    "uniqueItems": Code.INVALID_VALUE,
}


def schema_dir() -> Path:
    return data_dir("schemas")


@cache
def load_schemas() -> dict[str, dict[str, Any]]:
    """Every schema file by file name (including shared ``common.schema.json``)."""
    schemas: dict[str, dict[str, Any]] = {}
    for path in sorted(schema_dir().glob("*.schema.json")):
        schemas[path.name] = json.loads(path.read_text(encoding="utf-8"))
    return schemas


def _format_checker() -> FormatChecker:
    """Calendar-aware date and date-time checks (patterns alone accept 2026-02-30)."""
    checker = FormatChecker(formats=())
    checker.checks("date-time", raises=ValueError)(
        lambda v: not isinstance(v, str) or bool(parse_datetime(v))
    )
    checker.checks("date", raises=ValueError)(
        lambda v: not isinstance(v, str) or bool(parse_date(v))
    )
    return checker


POLICY_INPUT_SCHEMA = "policy-input.schema.json"


def validator_for(kind: str) -> Draft202012Validator:
    return validator_for_file(SCHEMA_FILES[kind])


@cache
def validator_for_file(file: str) -> Draft202012Validator:
    return Draft202012Validator(bundled(file), format_checker=_format_checker())


def validate_policy_input(document: Any) -> Iterator[SchemaProblem]:
    """Schema problems of a policy input document (``schemas/policy-input.schema.json``)."""
    for error in validator_for_file(POLICY_INPUT_SCHEMA).iter_errors(document):
        yield from _problems(error)


@cache
def bundled(file: str) -> dict[str, Any]:
    """The schema ``file`` with every ``$ref`` inlined: one self-contained document.

    Resolving references through the registry on every validation is most of the
    validation cost; the schemas are not recursive, so inlining is exact.
    """
    schema = load_schemas()[file]
    inlined: dict[str, Any] = _inline(schema, schema)
    inlined.pop("$defs", None)
    return inlined


def _inline(node: Any, root: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(item, root) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target, target_root = _lookup(node["$ref"], root)
        merged = {
            k: v for k, v in _inline(target, target_root).items() if k not in ("$id", "$schema")
        }
        merged.update({k: _inline(v, root) for k, v in node.items() if k != "$ref"})
        return merged
    return {key: _inline(value, root) for key, value in node.items()}


def _lookup(ref: str, root: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    document, _, pointer = ref.partition("#")
    base = load_schemas()[document] if document else root
    target: Any = base
    for part in pointer.strip("/").split("/"):
        if part:
            target = target[part.replace("~1", "/").replace("~0", "~")]
    return target, base


class SchemaProblem:
    """A schema violation, ready to become a finding: where, what code, what message."""

    __slots__ = ("code", "key", "message", "path")

    def __init__(self, path: tuple[str | int, ...], code: str, message: str, *, key: bool) -> None:
        self.path = path
        self.code = code
        self.message = message
        self.key = key


def validate(kind: str, document: Any) -> Iterator[SchemaProblem]:
    """Schema problems of ``document`` (a known kind), most specific first."""
    for error in validator_for(kind).iter_errors(document):
        yield from _problems(error)


def _problems(error: ValidationError) -> Iterator[SchemaProblem]:
    if error.validator in ("anyOf", "oneOf", "allOf") and error.context:
        # report the branch that got furthest, like jsonschema's best_match
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        yield from _problems(deepest)
        return
    path = tuple(error.absolute_path)
    validator = str(error.validator)
    if validator in ("additionalProperties", "unevaluatedProperties") and isinstance(
        error.instance, Mapping
    ):
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        allowed = set(schema.get("properties", {}))
        for extra in (k for k in error.instance if k not in allowed):
            hint = _closest(str(extra), allowed)
            suggestion = f"; did you mean {hint!r}?" if hint else ""
            yield SchemaProblem(
                (*path, extra),
                Code.UNKNOWN_FIELD,
                f"unknown field {extra!r}{suggestion}",
                key=True,
            )
        return
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        yield SchemaProblem(
            path, Code.MISSING_FIELD, f"missing required field {missing!r}", key=True
        )
        return
    code = _CODES.get(validator, Code.SCHEMA)
    yield SchemaProblem(path, code, _message(error), key=False)


def _message(error: ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "document"
    validator = error.validator
    if validator == "type":
        return f"{where}: expected {error.validator_value}, got {_type_name(error.instance)}" + (
            " (quote it to make it a string)"
            if error.validator_value == "string" and isinstance(error.instance, int | float | bool)
            else ""
        )
    if validator == "enum":
        return f"{where}: {error.instance!r} is not one of {error.validator_value}"
    if validator == "const":
        return f"{where}: must be {error.validator_value!r}, got {error.instance!r}"
    if validator == "pattern":
        return f"{where}: {error.instance!r} does not match the expected format" + _pattern_hint(
            str(error.validator_value), error.instance
        )
    return f"{where}: {error.message}"


#: what a pattern means, said the way a person would check their value
_PATTERN_FORMS = {"^[a-f0-9]{64}$": "64 lower-case hex digits (a SHA-256)"}


def _pattern_hint(pattern: str, value: Any) -> str:
    form = _PATTERN_FORMS.get(pattern)
    if form is None:
        return ""
    hint = f": expected {form}"
    if isinstance(value, str) and re.fullmatch(pattern, value.lower()):
        hint += (
            f"; this is upper-case hex (PowerShell's Get-FileHash prints it so): write "
            f"{value.lower()!r}"
        )
    elif isinstance(value, str) and len(value) != 64:
        hint += f", got {len(value)} characters"
    return hint


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _closest(word: str, candidates: set[str]) -> str | None:
    best: tuple[int, str] | None = None
    for candidate in candidates:
        distance = _edit_distance(word.lower(), candidate.lower())
        if distance <= max(1, len(candidate) // 3) and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
