"""The plan's records: typed :class:`Action` s, drift items, per-intent and whole plans,
and what was last applied (the base drift is measured against)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.domain.documents.models import DriftPolicy
from reconciler.domain.gates.progress import GateOutcome
from reconciler.domain.tenant import Assignment, DesiredApp, Platform


class ActionKind(enum.StrEnum):
    CREATE_APP = "create-app"
    UPLOAD_CONTENT = "upload-content"
    UPDATE_APP = "update-app"
    SET_ASSIGNMENTS = "set-assignments"
    DELETE_APP = "delete-app"
    REPORT_ORPHAN = "report-orphan"
    PROMOTE = "promote"
    HOLD = "hold"
    BLOCK = "block"
    ROLLBACK = "rollback"
    #: take over an object made outside EUCORA (stamp the ownership marker)
    ADOPT_APP = "adopt"
    #: an unmanaged object of the intent's name, not adopted: blocks the app's writes
    LOOK_ALIKE = "look-alike"
    #: a package whose provider has no configured tenant this pass: said, nothing written
    NOT_CONNECTED = "not-connected"


#: kinds that change a tenant
WRITES = frozenset(
    {
        ActionKind.ADOPT_APP,
        ActionKind.CREATE_APP,
        ActionKind.UPLOAD_CONTENT,
        ActionKind.UPDATE_APP,
        ActionKind.SET_ASSIGNMENTS,
        ActionKind.DELETE_APP,
    }
)

#: a provider's words for the writes of a plan, by action kind value, e.g.
#: ``{"create-app": "create Jamf Pro package"}`` (``reconciler.connectors.registry``)
Words = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class Applied:
    """What the reconciler last wrote for one intent on one platform."""

    digest: str
    assignments: tuple[Assignment, ...]


@dataclass(frozen=True, slots=True)
class DriftItem:
    """One difference between a managed object and what was last applied."""

    intent: str
    platform: Platform
    field: str
    observed: Any
    desired: Any
    policy: DriftPolicy
    corrected: bool

    def describe(self) -> str:
        verb = "corrected" if self.corrected else "reported"
        seen, wanted = _short(self.observed), _short(self.desired)
        return f"{self.platform.value} {self.field}: {seen} ≠ {wanted} ({verb})"


@dataclass(frozen=True, slots=True)
class Action:
    """One step of the plan: a write to a tenant or a decision worth recording."""

    kind: ActionKind
    intent: str
    reason: str
    platform: Platform | None = None
    app_id: str | None = None
    app: DesiredApp | None = None
    assignments: tuple[Assignment, ...] = ()
    ring: str | None = None
    gate: GateOutcome | None = None
    drift: bool = False
    #: for set-assignments: the assignments in ring terms, e.g. ``required: lab, canary``
    targets: str = ""
    #: the provider whose tenant the action writes or reports on
    provider: str | None = None
    #: the provider's words for this kind of action (the kind's name when it has none)
    what: str = ""
    #: for adopt: further objects taken over with the app, by role (e.g. a Jamf policy)
    adopt: Mapping[str, str] = field(default_factory=dict)

    @property
    def writes(self) -> bool:
        return self.kind in WRITES

    def describe(self) -> str:
        what = self.what or self.kind.value
        if self.kind is ActionKind.SET_ASSIGNMENTS:
            targets = self.targets or ", ".join(a.describe() for a in self.assignments)
            what = f"{what}: {targets or 'none'}"
        if self.ring:
            what = f"{what} ({self.ring})"
        return what

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "intent": self.intent,
            "platform": self.platform.value if self.platform else None,
            "appId": self.app_id,
            "ring": self.ring,
            "reason": self.reason,
            "drift": self.drift,
            "writes": self.writes,
            "assignments": [_assignment_dict(a) for a in self.assignments],
            "gate": self.gate.to_dict() if self.gate else None,
            "description": self.describe(),
        }


@dataclass(frozen=True, slots=True)
class IntentPlan:
    """The actions of one intent, in the order they must run."""

    intent: str
    actions: tuple[Action, ...]
    drift: tuple[DriftItem, ...] = ()
    #: desired assignments per platform after this plan is applied
    assignments: Mapping[Platform, tuple[Assignment, ...]] = field(default_factory=dict)

    @property
    def writes(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.writes)


@dataclass(frozen=True, slots=True)
class Plan:
    intents: tuple[IntentPlan, ...]
    #: reports about objects no intent owns (orphans, prune candidates)
    orphans: tuple[Action, ...] = ()
    #: intent names in apply order, grouped into independent supersedes chains
    order: tuple[tuple[str, ...], ...] = ()

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(a for p in self.intents for a in p.actions) + self.orphans

    @property
    def writes(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.writes)

    @property
    def drift(self) -> tuple[DriftItem, ...]:
        return tuple(d for p in self.intents for d in p.drift)

    def for_intent(self, name: str) -> IntentPlan | None:
        return next((p for p in self.intents if p.intent == name), None)

    def chains(self) -> list[list[IntentPlan]]:
        """Intent plans that write, grouped so that a superseded intent runs before its
        successor (its assignments give way first); groups are independent of each other."""
        by_name = {p.intent: p for p in self.intents if p.writes}
        groups = [[by_name[n] for n in chain if n in by_name] for chain in self.order]
        return [g for g in groups if g]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _assignment_dict(assignment: Assignment) -> dict[str, Any]:
    return {
        "target": assignment.target.value,
        "groupId": assignment.group_id,
        "intent": assignment.intent.value,
    }
