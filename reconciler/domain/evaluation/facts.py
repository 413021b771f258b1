"""Facts about an intent that risk rules test: its spec fields and derived values.

A fact is named by a dotted path: ``spec.privileged``, ``spec.evidence.scan.high`` (read
from the intent document) or ``derived.*`` (computed here): ``derived.blastRadius`` (class
after the classifier), ``derived.priorIncidents`` and ``derived.priorP1P2Incidents``
(incidents attributed to other versions of the same app — same name and publisher),
``derived.platformCount`` and ``derived.scanAgeDays`` (days since the scan, at ``now``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from reconciler.domain.documents.models import BlastRadius, DeploymentIntent, FleetRepo

MISSING = object()


def derived_facts(
    intent: DeploymentIntent, repo: FleetRepo, effective: BlastRadius, now: datetime
) -> dict[str, Any]:
    earlier = [
        other.name
        for other in repo.intents.values()
        if other.name != intent.name
        and other.app.name == intent.app.name
        and other.app.publisher == intent.app.publisher
    ]
    prior = [i for i in repo.incidents.values() if i.intent in earlier]
    scan = intent.evidence.get("scan")
    return {
        "blastRadius": effective.value,
        "priorIncidents": len(prior),
        "priorP1P2Incidents": sum(1 for i in prior if i.severity.value in ("P1", "P2")),
        "platformCount": len(intent.platforms),
        "scanAgeDays": (now.date() - date.fromisoformat(scan["date"])).days if scan else None,
    }


def lookup(path: str, intent: DeploymentIntent, derived: Mapping[str, Any]) -> Any:
    """The fact at ``path``, or :data:`MISSING`."""
    head, _, rest = path.partition(".")
    value: Any = intent.spec if head == "spec" else derived if head == "derived" else MISSING
    for part in rest.split(".") if rest else ():
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return MISSING
    return value


def holds(value: Any, condition: Mapping[str, Any]) -> bool:
    """Whether every test of ``condition`` holds for ``value`` (a missing fact is MISSING)."""
    present = value is not MISSING and value is not None
    for operator, expected in condition.items():
        if operator == "exists":
            ok = present == expected
        elif operator == "eq":
            ok = present and value == expected
        elif operator == "ne":
            ok = not present or value != expected
        elif operator == "in":
            ok = present and value in tuple(expected)
        elif operator == "notIn":
            ok = not present or value not in tuple(expected)
        elif operator == "contains":
            if isinstance(value, str):
                ok = str(expected).lower() in value.lower()
            else:
                ok = present and isinstance(value, list | tuple) and expected in value
        elif operator in ("gt", "gte", "lt", "lte"):
            ok = _compare(value, operator, expected)
        else:
            ok = False
        if not ok:
            return False
    return True


def _compare(value: Any, operator: str, expected: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if operator == "gt":
        return bool(value > expected)
    if operator == "gte":
        return bool(value >= expected)
    if operator == "lt":
        return bool(value < expected)
    return bool(value <= expected)


def describe(when: Mapping[str, Mapping[str, Any]]) -> str:
    """``spec.evidence.scan.high gte 1 and …`` for explanations."""

    def show(value: Any) -> str:
        if isinstance(value, list | tuple):
            return "[" + ", ".join(show(v) for v in value) + "]"
        if isinstance(value, bool):
            return str(value).lower()
        return str(value)

    return " and ".join(
        f"{path} {op} {show(value)}"
        for path, condition in when.items()
        for op, value in condition.items()
    )
