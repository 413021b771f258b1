"""Policy tests as data: YAML cases run against any engine, like `opa test` / `kyverno test`.

A case file ``<policies>/<decision>/tests/*.yaml`` holds::

    decision: promotion            # optional; defaults to the directory above tests/
    base: base.json                # optional input every case starts from
    cases:
      - name: success rate below the minimum holds the intent
        patch: {telemetry: {successRate: 0.95, installed: 95, failed: 5, reporting: 100}}
        expect: {allow: false, deny_ids: [min-success-rate], warn_ids: []}

A case's input is ``input`` (inline), or ``inputFile`` (a JSON/YAML file), or the file's
``base``; ``patch`` is deep-merged on top (the string ``<delete>`` removes a key). Each
``expect`` key
present is compared exactly (ids as sets).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler.domain.errors import InvalidPolicyError
from reconciler.domain.ports import PolicyDecision, PolicyEngine
from reconciler.policy._policyset import DECISIONS

DELETE = "<delete>"


@dataclass(frozen=True, slots=True)
class PolicyCase:
    name: str
    decision: str
    input: dict[str, Any]
    expect: Mapping[str, Any]
    file: str
    index: int


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: PolicyCase
    decision: PolicyDecision
    problems: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.problems


def merge(base: Any, patch: Any) -> Any:
    """Deep merge for case inputs: mappings merge, ``<delete>`` removes, anything else replaces."""
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(base)
    for key, value in patch.items():
        if value == DELETE:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def _read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def load_cases(directories: Iterable[Path]) -> list[PolicyCase]:
    cases: list[PolicyCase] = []
    for directory in directories:
        for path in sorted(directory.rglob("tests/*.yaml")):
            cases.extend(_load_file(path, directory))
    return cases


def _load_file(path: Path, root: Path) -> list[PolicyCase]:
    label = path.relative_to(root).as_posix()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidPolicyError(f"{label}: invalid YAML: {exc}", file=label) from exc
    if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
        raise InvalidPolicyError(f"{label}: expected a mapping with a 'cases' list", file=label)
    decision = document.get("decision") or path.parent.parent.name
    if decision not in DECISIONS:
        raise InvalidPolicyError(f"{label}: unknown decision {decision!r}", file=label)
    base: Any = {}
    if "base" in document:
        base = _read(path.parent / document["base"])
    cases = []
    for index, raw in enumerate(document["cases"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise InvalidPolicyError(f"{label}: case {index} needs a name", file=label)
        if not isinstance(raw.get("expect"), dict):
            raise InvalidPolicyError(f"{label}: case {raw['name']!r} needs expect", file=label)
        if "input" in raw:
            start = raw["input"]
        elif "inputFile" in raw:
            start = _read(path.parent / raw["inputFile"])
        else:
            start = base
        document_input = merge(start, raw.get("patch") or {})
        cases.append(PolicyCase(raw["name"], decision, document_input, raw["expect"], label, index))
    return cases


def run_cases(engine: PolicyEngine, cases: Sequence[PolicyCase]) -> list[CaseResult]:
    return [check(case, engine.decide(case.decision, case.input)) for case in cases]


def check(case: PolicyCase, decision: PolicyDecision) -> CaseResult:
    problems = []
    expect = case.expect
    if "allow" in expect and decision.allow != expect["allow"]:
        problems.append(f"allow is {decision.allow}, expected {expect['allow']}")
    for key, actual in (("deny_ids", decision.deny), ("warn_ids", decision.warn)):
        if key in expect:
            got = {v.id for v in actual}
            want = set(expect[key] or ())
            if got != want:
                problems.append(f"{key} {sorted(got)} != expected {sorted(want)}")
    return CaseResult(case, decision, tuple(problems))


def exercised_ids(cases: Iterable[PolicyCase]) -> set[str]:
    ids: set[str] = set()
    for case in cases:
        for key in ("deny_ids", "warn_ids"):
            ids.update(case.expect.get(key) or ())
    return ids
