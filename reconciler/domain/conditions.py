"""Conditions of an intent after a pass, in the kstatus / Flux vocabulary.

The ``record`` step turns an intent's progress, drift and errors into the conditions
``Ready``, ``Reconciling``, ``Stalled``, ``Drifted`` and ``Blocked`` — what ``eucora
reconcile`` shows and what the operator writes to the custom resource's status (setting
``lastTransitionTime`` only when a status changes). Pure: which deny rules only wait
(``custom.waits: true`` in their METADATA) the gate's decision says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.domain.plan import DriftItem
from reconciler.domain.progress import IntentProgress, Progress


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    status: bool
    reason: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "type": self.type,
            "status": "True" if self.status else "False",
            "reason": self.reason,
            "message": self.message,
        }


def _blocking_denies(progress: IntentProgress) -> list[str]:
    """Deny ids of the last gate that block; those its decision says only wait (time or
    data will lift them without anyone acting) hold an intent without blocking it."""
    gate = progress.last_gate
    if gate is None or gate.result.allow:
        return []
    return [v.id for v in gate.result.deny if v.id not in gate.result.waiting]


def intent_conditions(
    progress: IntentProgress, drift: Sequence[DriftItem], errors: Sequence[str]
) -> list[Condition]:
    state, reason = progress.state, progress.reason or progress.state.value
    blocking = _blocking_denies(progress)
    blocked = state in {Progress.BLOCKED, Progress.ROLLED_BACK} or (
        state in {Progress.HOLDING, Progress.NOT_STARTED} and bool(blocking)
    )
    rolling = state in {Progress.PROGRESSING, Progress.HOLDING, Progress.NOT_STARTED}
    corrected = all(d.corrected for d in drift)
    drift_message = "; ".join(d.describe() for d in drift[:5]) + (" …" if len(drift) > 5 else "")
    ready = state is Progress.COMPLETE and not errors and not drift
    if errors:
        ready_reason, ready_message = "ApplyFailed", errors[0]
    elif drift:
        ready_reason, ready_message = "Drifted", drift_message
    else:
        ready_reason, ready_message = state.value, reason
    blocked_reason = {
        Progress.BLOCKED: "HealthGateFailed",
        Progress.ROLLED_BACK: "RolledBack",
    }.get(state, _camel(blocking[0]) if blocking else "NotBlocked")
    return [
        Condition(
            "Ready",
            ready,
            "Complete" if ready else ready_reason,
            reason if ready else ready_message,
        ),
        Condition("Reconciling", rolling, state.value if rolling else "Idle", reason),
        Condition(
            "Stalled",
            bool(errors),
            "ApplyFailed" if errors else "Progressing",
            errors[0] if errors else "",
        ),
        Condition(
            "Drifted",
            bool(drift),
            ("DriftCorrected" if corrected else "DriftReported") if drift else "InSync",
            drift_message,
        ),
        Condition("Blocked", blocked, blocked_reason, reason if blocked else ""),
    ]


def _camel(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.split("-"))
