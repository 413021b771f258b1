"""What the dashboard's pages show, computed from pass reports: pure functions on the
report documents (``IntentReport.to_dict()`` and what a status holds of it).

Sits between a :class:`~reconciler.dashboard.FleetSource` (the state store, the operator's
passes, the cluster's statuses) and the templates, which only lay these values out: the
colour of each cell of the intents × rings matrix and the reason shown on hover, the
approvals still missing and the ``eucora approve`` command that supplies them, the queue
of intents waiting for CAB.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine import approve_commands
from reconciler.policy import waiting_rules


@dataclass(frozen=True, slots=True)
class Fleet:
    """One fleet repo's newest pass: a GitSource in the operator, the state file alone."""

    key: str
    title: str
    revision: str
    at: str
    rings: tuple[str, ...]
    intents: tuple[Mapping[str, Any], ...]
    note: str = ""

    def intent(self, name: str) -> Mapping[str, Any] | None:
        return next((i for i in self.intents if i.get("name") == name), None)


@dataclass(frozen=True, slots=True)
class Trail:
    """An intent's ring history and audit records, oldest first."""

    history: tuple[Mapping[str, Any], ...] = ()
    audit: tuple[Mapping[str, Any], ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Cell:
    ring: str
    css: str  # reached | current | held | blocked | rolled-back | suspended | pending | beyond
    label: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Missing:
    """CAB approvals an intent still needs, and the command a reviewer runs."""

    rings: tuple[str, ...]
    approvals: int
    roles: tuple[str, ...]
    #: what each approver runs in a checkout of the fleet repo (one per role required)
    commands: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QueueEntry:
    fleet: Fleet
    intent: Mapping[str, Any]
    missing: Missing
    waiting_since: str = ""
    reasons: tuple[str, ...] = field(default=())

    @property
    def held_by_cab(self) -> bool:
        return any(r.startswith("cab-") for r in self.reasons)


def denies(report: Mapping[str, Any]) -> list[str]:
    """The last gate's denying rules as ``id: message`` lines."""
    gate = report.get("lastGate") or {}
    out = []
    for item in gate.get("deny") or ():
        out.append(f"{item['id']}: {item['msg']}" if isinstance(item, Mapping) else str(item))
    return out


def deny_ids(report: Mapping[str, Any]) -> set[str]:
    return {line.split(":", 1)[0] for line in denies(report)}


def cells(report: Mapping[str, Any], rings: Sequence[str]) -> list[Cell]:
    """One cell per ring: where the intent is, where it waits and why, how far it goes."""
    state, ring = str(report.get("state", "")), report.get("ring")
    until = report.get("until")
    current = rings.index(ring) if ring in rings else -1
    last = rings.index(until) if until in rings else len(rings) - 1
    reached = {str(r) for r in report.get("reachedRings") or ()}
    gate = report.get("lastGate") or {}
    why = "; ".join(denies(report)) or str(report.get("reason", ""))
    held_for = gate.get("ring") if gate.get("allow") is False else None
    out = []
    for index, name in enumerate(rings):
        if index > last:
            out.append(Cell(name, "beyond", "—", f"not targeted (until {until})"))
        elif state == "RolledBack" and (name in reached or index <= current):
            out.append(Cell(name, "rolled-back", "rolled back", why))
        elif index == current and state == "Blocked":
            out.append(Cell(name, "blocked", "halted", why))
        elif index == current and state == "Suspended":
            out.append(Cell(name, "suspended", "suspended", why))
        elif index == current:
            out.append(Cell(name, "current", "current", str(report.get("reason", ""))))
        elif index < current:
            out.append(Cell(name, "reached", "done"))
        elif (
            index == current + 1 and state in {"Holding", "NotStarted"} and held_for in (None, name)
        ):
            waiting = deny_ids(report) <= waiting_rules()
            out.append(Cell(name, "waiting" if waiting else "held", "held", why))
        else:
            out.append(Cell(name, "pending", ""))
    return out


def missing_approvals(report: Mapping[str, Any]) -> Missing | None:
    """What CAB still has to approve for this intent, or ``None`` when nothing."""
    approvals = report.get("approvals") or {}
    needed = [str(r) for r in approvals.get("rings") or ()]
    approved = {str(r) for r in approvals.get("approvedRings") or ()}
    rings = tuple(r for r in needed if r not in approved)
    if not rings:
        return None
    short = max(int(approvals.get("required") or 0) - int(approvals.get("valid") or 0), 1)
    roles = tuple(str(r) for r in approvals.get("roles") or ())
    commands = approve_commands(str(report.get("name", "")), needed, tuple(approved), roles)
    return Missing(rings, short, roles, commands)


def waiting_for_cab(fleets: Sequence[Fleet]) -> list[QueueEntry]:
    """Intents that need CAB approvals: those the CAB gate holds now first, then by how
    long they have been in their ring, then by name. ``reasons`` are the last gate's
    denying rules (the CAB's, or what else holds the intent before it reaches a CAB ring)."""
    queue = []
    for fleet in fleets:
        for report in fleet.intents:
            missing = missing_approvals(report)
            if missing is None:
                continue
            since = str(report.get("ringEnteredAt") or "")
            queue.append(QueueEntry(fleet, report, missing, since, tuple(denies(report))))
    return sorted(queue, key=lambda e: (not e.held_by_cab, e.waiting_since, str(e.intent["name"])))


def factor_bars(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Risk factors with their share of the score (for the breakdown's bars)."""
    risk = report.get("risk") or {}
    factors = risk.get("factors") or risk.get("topFactors") or ()
    out = []
    for factor in factors:
        contribution = float(factor.get("contribution") or 0.0)
        out.append({**factor, "contribution": contribution, "width": min(contribution, 100.0)})
    return out


def percent(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f} %"


#: audit record fields every record has (the rest are the event's details)
_AUDIT_FIELDS = frozenset({"seq", "time", "event", "actor", "revision", "correlationId",
                           "prev", "intent"})  # fmt: skip


def audit_details(record: Mapping[str, Any]) -> str:
    """An audit record's own fields as ``key=value`` pairs."""
    parts = []
    for key in sorted(set(record) - _AUDIT_FIELDS):
        value = record[key]
        parts.append(f"{key}={json.dumps(value, default=str, ensure_ascii=False)}")
    return " ".join(parts)
