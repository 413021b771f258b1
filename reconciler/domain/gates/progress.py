"""Ring progress: where each intent stands after this pass's gates.

The ``gate`` step of a reconcile pass. For every intent the engine knows the ring it
reached (from the state store), its governance (risk, CAB, exceptions) and the install
telemetry of that ring; :func:`decide_progress` asks the policy engine — admission before
the first ring, health in the current ring, promotion into the next one — and says where
the intent stands now. Rules (DESIGN §3):

* the current ring advances by at most one ring per pass, and only when the promotion gate
  allows it; a deny holds it and says why;
* a failed health gate in the current ring blocks the intent (``Blocked``); with
  ``rollout.onFailure: rollback`` it is rolled back instead, which sticks for that digest
  until Git changes the intent;
* a suspended intent keeps its ring and is never written;
* lowering ``rollout.until`` below the current ring takes the intent back to ``until``.

Pure: the policy engine comes in through the :class:`~reconciler.domain.ports.PolicyEngine`
port and ``now`` is explicit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from reconciler.domain.documents.models import DeploymentIntent, FleetConfig, Incident, OnFailure
from reconciler.domain.evaluation.governance import IntentGovernance
from reconciler.domain.inputs.compliance import RingCompliance
from reconciler.domain.inputs.policy_input import (
    RingState,
    admission_input,
    health_input,
    promotion_input,
)
from reconciler.domain.inputs.rollback import RollbackFacts
from reconciler.domain.ports import PolicyDecision, PolicyEngine
from reconciler.domain.tenant import InstallCounts


class Progress(enum.StrEnum):
    """Where an intent stands after a pass."""

    NOT_STARTED = "NotStarted"  # no ring yet: admission or the first ring's gate denied
    PROGRESSING = "Progressing"  # entered a new ring in this pass
    HOLDING = "Holding"  # the next ring's gate denied; stays where it is
    COMPLETE = "Complete"  # at rollout.until
    BLOCKED = "Blocked"  # the health gate of the current ring failed (halt)
    ROLLED_BACK = "RolledBack"  # failed with onFailure: rollback
    SUSPENDED = "Suspended"  # rollout.suspend: observed, never written


#: states in which the intent changes nothing on its own any more
SETTLED = frozenset({Progress.COMPLETE, Progress.BLOCKED, Progress.ROLLED_BACK})


@dataclass(frozen=True, slots=True)
class StoredRing:
    """What the state store remembers of an intent between passes."""

    ring: str | None
    entered_at: datetime | None = None
    rolled_back_digest: str | None = None
    reached: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GateOutcome:
    """One policy decision taken for an intent in this pass."""

    decision: str  # admission | promotion | health
    ring: str | None
    result: PolicyDecision

    def to_dict(self) -> dict[str, object]:
        return {"decision": self.decision, "ring": self.ring, **self.result.to_dict()}


@dataclass(frozen=True, slots=True)
class IntentProgress:
    """The outcome of the gate step for one intent."""

    intent: str
    state: Progress
    ring: str | None
    previous_ring: str | None
    entered_at: datetime | None
    reason: str = ""
    gates: tuple[GateOutcome, ...] = ()
    #: rings the intent reached, for a rollback's uninstall assignments
    reached: tuple[str, ...] = field(default=())
    #: the ring where a rollback drill uninstalls the build in this pass (rollbackDrill)
    drill_ring: str | None = None

    @property
    def moved(self) -> bool:
        return self.ring != self.previous_ring

    @property
    def last_gate(self) -> GateOutcome | None:
        return self.gates[-1] if self.gates else None


def rings_up_to(fleet: FleetConfig, ring: str | None) -> tuple[str, ...]:
    """The fleet's rings from the first through ``ring`` (none for ``None``)."""
    names = fleet.ring_names
    if ring is None or ring not in names:
        return ()
    return names[: names.index(ring) + 1]


def _messages(decision: PolicyDecision) -> str:
    return "; ".join(v.msg for v in decision.deny) or "denied"


def decide_progress(
    *,
    intent: DeploymentIntent,
    fleet: FleetConfig,
    stored: StoredRing,
    governance: IntentGovernance,
    telemetry: InstallCounts,
    incidents: tuple[Incident, ...],
    policy: PolicyEngine,
    now: datetime,
    rollback: RollbackFacts,
    compliance: RingCompliance | None = None,
) -> IntentProgress:
    """Decide whether the intent enters a ring, holds, completes or fails in this pass.

    ``compliance`` is the time to compliance of the current ring, ``rollback`` the facts of
    its way back (both computed by the engine from the tenants and the state store)."""
    names = fleet.ring_names
    current = stored.ring
    base = IntentProgress(
        intent.name,
        Progress.HOLDING,
        current,
        current,
        stored.entered_at,
        reached=stored.reached or rings_up_to(fleet, current),
    )

    def outcome(
        state: Progress, reason: str, *gates: GateOutcome, **changes: Any
    ) -> IntentProgress:
        return replace(base, state=state, reason=reason, gates=gates, **changes)

    if intent.rollout.suspend:
        return outcome(Progress.SUSPENDED, "rollout.suspend is true; observed, not written")
    if stored.rolled_back_digest == intent.digest:
        return outcome(
            Progress.ROLLED_BACK,
            "rolled back after a failed health gate; change the intent in Git to retry",
        )
    if current is not None and current not in names:
        return outcome(Progress.BLOCKED, f"ring {current!r} is no longer in the fleet")
    unapproved = _first_unapproved(fleet, current, governance)
    if unapproved is not None:
        position = names.index(unapproved)
        back = names[position - 1] if position else None
        return outcome(
            Progress.BLOCKED,
            f"no valid CAB approval for {unapproved} (re-checked every pass, whatever the "
            f"stored ring {current!r} says); back to {back or 'no ring'}",
            ring=back,
            entered_at=stored.entered_at,
        )
    until = intent.rollout.until if intent.rollout.until in names else names[-1]
    state = RingState(current, stored.entered_at, telemetry, compliance)

    if current is None:
        admission = policy.decide(
            "admission",
            admission_input(intent=intent, fleet=fleet, risk=governance.risk_summary, now=now),
        )
        admitted = GateOutcome("admission", None, admission)
        if not admission.allow:
            return outcome(Progress.NOT_STARTED, _messages(admission), admitted)
        first = names[0]
        gate = _promotion(intent, fleet, first, state, incidents, governance, rollback, policy, now)
        if not gate.result.allow:
            return outcome(Progress.NOT_STARTED, _messages(gate.result), admitted, gate)
        return outcome(
            Progress.PROGRESSING,
            f"entered {first}",
            admitted,
            gate,
            ring=first,
            entered_at=now,
            reached=(first,),
        )

    health = policy.decide(
        "health",
        health_input(intent=intent, fleet=fleet, state=state, incidents=incidents, now=now),
    )
    checked = GateOutcome("health", current, health)
    if not health.allow:
        if intent.rollout.on_failure is OnFailure.ROLLBACK:
            return outcome(Progress.ROLLED_BACK, f"rolled back: {_messages(health)}", checked)
        return outcome(Progress.BLOCKED, f"halted in {current}: {_messages(health)}", checked)
    position, last = names.index(current), names.index(until)
    if position > last:
        return outcome(
            Progress.COMPLETE,
            f"rollout.until lowered to {until}; leaving rings beyond it",
            checked,
            ring=until,
            entered_at=stored.entered_at,
        )
    if position == last:
        return outcome(Progress.COMPLETE, f"reached {until}", checked)
    target = names[position + 1]
    gate = _promotion(intent, fleet, target, state, incidents, governance, rollback, policy, now)
    if not gate.result.allow:
        drill = drill_ring(intent, fleet, current, rollback)
        reason = f"held at {current}: {_messages(gate.result)}"
        if drill is not None:
            reason += (
                f"; rollback drill: {drill} uninstalls the build until a device is seen without it"
            )
        return outcome(Progress.HOLDING, reason, checked, gate, drill_ring=drill)
    reached = tuple(dict.fromkeys((*stored.reached, *rings_up_to(fleet, target))))
    return outcome(
        Progress.PROGRESSING,
        f"promoted {current} → {target}",
        checked,
        gate,
        ring=target,
        entered_at=now,
        reached=reached,
    )


def drill_ring(
    intent: DeploymentIntent, fleet: FleetConfig, current: str, rollback: RollbackFacts
) -> str | None:
    """The first ring, when ``rollout.rollbackDrill`` asks to exercise the rollback there:
    with ``onFailure: rollback``, no rollback of the build seen yet, and the intent past the
    first ring but before ``cab.firstRing`` (so the ring judging the next promotion is not
    the one drilled)."""
    names = fleet.ring_names
    if not (
        intent.rollout.rollback_drill
        and intent.rollout.on_failure is OnFailure.ROLLBACK
        and rollback.validated is None
        and fleet.cab.first_ring in names
    ):
        return None
    position = names.index(current)
    return names[0] if 0 < position < names.index(fleet.cab.first_ring) else None


def _first_unapproved(
    fleet: FleetConfig, current: str | None, governance: IntentGovernance
) -> str | None:
    """The first ring up to ``current`` that needs CAB approval and has none valid now."""
    for ring in rings_up_to(fleet, current):
        if ring in governance.ring_approved and not governance.ring_approved[ring]:
            return ring
    return None


def _promotion(
    intent: DeploymentIntent,
    fleet: FleetConfig,
    target: str,
    state: RingState,
    incidents: tuple[Incident, ...],
    governance: IntentGovernance,
    rollback: RollbackFacts,
    policy: PolicyEngine,
    now: datetime,
) -> GateOutcome:
    document = promotion_input(
        intent=intent,
        fleet=fleet,
        target=target,
        state=state,
        incidents=incidents,
        risk=governance.risk_summary,
        cab=governance.cab_summary,
        exceptions=governance.valid_exceptions,
        rollback=rollback,
        now=now,
    )
    return GateOutcome("promotion", target, policy.decide("promotion", document))
