"""What a pass changed for one intent, as Events: the operator posts them on the custom
resource, the notifier sends them to chat and webhooks.

The comparison is between two *event bases*: the fields of an intent's status that say
where it stands (``state``, ``currentRing``, ``lastGate``, ``drift``, ``errors``). The
operator's basis is the custom resource's status; the standalone loop keeps the basis of
its last pass in the state store. Either way a pass that changed nothing tells nothing,
and a hold is told once per ring and set of denying rules (its messages change every
pass as soak hours and device counts move; waiting rules count only when nothing else
denies).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

from reconciler.domain.progress import GateOutcome, Progress
from reconciler.engine._report import IntentReport

#: drift items kept in a basis (and a status): a status is part of an object etcd stores
MAX_DRIFT = 20


@dataclass(frozen=True, slots=True)
class Event:
    type: str  # Normal | Warning
    reason: str
    message: str
    intent: str = ""
    ring: str | None = None
    #: ids of the rules that denied the gate, for holds and halts
    rules: tuple[str, ...] = ()


def gate_fields(gate: GateOutcome | None) -> dict[str, Any] | None:
    if gate is None:
        return None
    return {
        "decision": gate.decision,
        "ring": gate.ring,
        "allow": gate.result.allow,
        "deny": [f"{v.id}: {v.msg}" for v in gate.result.deny],
    }


def drift_fields(report: IntentReport) -> list[dict[str, Any]]:
    return [
        {
            "platform": d.platform.value,
            "field": d.field,
            "expected": _text(d.desired),
            "actual": _text(d.observed),
            "policy": d.policy.value,
            "corrected": d.corrected,
        }
        for d in report.drift[:MAX_DRIFT]
    ]


def event_basis(report: IntentReport) -> dict[str, Any]:
    """The fields :func:`intent_events` compares, as a status holds them."""
    return {
        "state": report.state.value,
        "currentRing": report.ring,
        "lastGate": gate_fields(report.last_gate),
        "drift": drift_fields(report),
        "errors": list(report.errors),
    }


def intent_events(
    report: IntentReport, previous: Mapping[str, Any], current: Mapping[str, Any]
) -> list[Event]:
    """Events for what this pass changed; a pass that changed nothing posts none."""
    events: list[Event] = []
    label = f"{report.app} {report.version}"
    name, ring = report.name, report.ring
    before_ring = previous.get("currentRing")
    gate = current.get("lastGate") or {}
    denied = tuple(sorted({str(d).split(":", 1)[0] for d in gate.get("deny") or ()}))
    waits = report.last_gate.result.waiting if report.last_gate else frozenset()
    if report.state is Progress.ROLLED_BACK and previous.get("state") != Progress.ROLLED_BACK:
        events.append(
            Event("Warning", "RolledBack", f"{label} rolled back: {report.reason}", name, ring)
        )
    elif ring != before_ring and ring is not None:
        how = f"{gate.get('decision')} allowed" if gate.get("allow") else report.reason
        events.append(
            Event("Normal", "Promoted", f"{label} entered ring {ring} ({how})", name, ring)
        )
    if report.state is Progress.BLOCKED and previous.get("state") != Progress.BLOCKED:
        events.append(
            Event("Warning", "HealthGateFailed", f"{label}: {report.reason}", name, ring, denied)
        )
    if (
        report.state is Progress.HOLDING
        and gate.get("allow") is False
        and hold_key(gate, waits) != hold_key(previous.get("lastGate") or {}, waits)
    ):
        denies = gate.get("deny") or []
        waiting = all(rule in waits for rule in denied)
        message = f"{label} held in {ring or 'no ring'}: " + "; ".join(denies)
        held_for = gate.get("ring")
        events.append(
            Event("Normal" if waiting else "Warning", "PromotionHeld", message, name, held_for,
                  denied)
        )  # fmt: skip
    if report.state is Progress.COMPLETE and previous.get("state") != Progress.COMPLETE:
        events.append(Event("Normal", "RolloutComplete", f"{label} reached {ring}", name, ring))
    corrected = [d for d in report.drift if d.corrected]
    reported = [d for d in report.drift if not d.corrected]
    if corrected:
        text = "; ".join(d.describe() for d in corrected[:5])
        events.append(Event("Normal", "DriftCorrected", text, name, ring))
    if reported and current.get("drift") != previous.get("drift"):
        text = "; ".join(d.describe() for d in reported[:5])
        events.append(Event("Warning", "DriftDetected", text, name, ring))
    if report.errors and list(report.errors) != list(previous.get("errors") or []):
        events.append(Event("Warning", "ApplyFailed", report.errors[0], name, ring))
    return events


def hold_key(gate: Mapping[str, Any], waiting: Set[str] = frozenset()) -> tuple[Any, ...]:
    """What makes a hold a new one: the ring and the rules denying it. Rules that only
    wait (``waiting``: soak time, devices) count only when nothing else denies: a
    success-rate hold whose soak time runs out meanwhile is the same hold."""
    if gate.get("allow") is not False:
        return ()
    ids = {str(d).split(":", 1)[0] for d in gate.get("deny") or ()}
    return (gate.get("ring"), *sorted(ids - waiting or ids))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)
