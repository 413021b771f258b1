"""A DeploymentIntent's status from a pass, the Events worth posting, and the way back.

Pure functions on plain dicts, between the engine's :class:`IntentReport` /
:class:`IntentState` and the custom resource:

- :func:`intent_status` — the status after a pass: conditions (``lastTransitionTime``
  kept unless a condition's status flips), ring, history, risk, approvals, last gate,
  drift, telemetry and the engine's state record (so any replica can carry on from it);
- :func:`state_from_status` — the engine's record read back from a status;
- :func:`unchanged` — whether a new status differs from the old in more than the pass
  it comes from (a quiet pass sends no status patch); :func:`drop_unchanged` — a
  source's status patch without the fields it would not change. Both compare as the
  API server merges: a ``None`` for a field that is absent is no change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.domain.errors import EucoraError
from reconciler.domain.gates.progress import StoredRing
from reconciler.domain.inputs.rollback import RollbackEvidence
from reconciler.domain.planning.plan import Applied
from reconciler.domain.tenant import Assignment, AssignmentIntent, Platform, TargetKind
from reconciler.engine import IntentReport, IntentState, RingEntry, drift_fields, gate_fields

#: status lists are bounded: a status is part of an object etcd stores whole
MAX_HISTORY = 50
MAX_VERDICTS = 20


@dataclass(frozen=True, slots=True)
class PassInfo:
    """Which pass a status comes from."""

    id: str
    at: datetime
    revision: str


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def merge_conditions(
    previous: Sequence[Mapping[str, Any]],
    new: Sequence[Mapping[str, str]],
    *,
    generation: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """``new`` conditions, keeping each one's ``lastTransitionTime`` unless its status
    changed; conditions ``new`` does not mention are kept as they are."""
    merged = {str(c.get("type")): dict(c) for c in previous}
    for condition in new:
        kind = condition["type"]
        before = merged.get(kind, {})
        changed = before.get("status") != condition["status"]
        merged[kind] = {
            **condition,
            "lastTransitionTime": timestamp(now)
            if changed or "lastTransitionTime" not in before
            else before["lastTransitionTime"],
        }
        if generation is not None:
            merged[kind]["observedGeneration"] = generation
    return list(merged.values())


def intent_status(
    report: IntentReport,
    state: IntentState | None,
    run: PassInfo,
    previous: Mapping[str, Any],
    *,
    generation: int | None,
    now: datetime,
) -> dict[str, Any]:
    """The status fields a pass sets (a merge patch: other fields are left alone)."""
    gate = report.last_gate
    document = report.to_dict()
    status: dict[str, Any] = {
        "conditions": merge_conditions(
            previous.get("conditions") or [],
            [c.to_dict() for c in report.conditions],
            generation=generation,
            now=now,
        ),
        "state": report.state.value,
        "message": report.reason,
        "governancePending": list(report.governance),
        "currentRing": report.ring,
        "risk": {
            "score": report.risk_score,
            "decision": report.cab_decision,
            "blastRadius": report.blast_radius,
            "autoApproveThreshold": document["risk"]["autoApproveThreshold"],
            "factors": document["risk"]["factors"],
        },
        "approvals": {
            **document["approvals"],
            "verdicts": document["approvals"]["verdicts"][:MAX_VERDICTS],
        },
        "ringHealth": document["ringHealth"],
        "lastGate": gate_fields(gate),
        "drift": drift_fields(report),
        "telemetry": {
            "ring": report.ring,
            "installed": report.telemetry.installed,
            "failed": report.telemetry.failed,
            "pending": report.telemetry.pending,
        },
        "timeToCompliance": _compliance(report),
        "errors": list(report.errors),
        "lastPass": {"id": run.id, "at": timestamp(run.at), "revision": run.revision},
    }
    if generation is not None:
        status["observedGeneration"] = generation
    if not report.errors and not report.dry_run:
        status["lastAppliedRevision"] = run.revision
    if state is not None:
        status.update(_state_fields(state))
    return status


def _compliance(report: IntentReport) -> dict[str, Any] | None:
    """Time to compliance of the ring the intent was gated in (share in whole percent,
    counts per connectivity class)."""
    compliance = report.compliance
    if compliance is None or compliance.ring is None or compliance.share is None:
        return None
    return {
        "ring": compliance.ring,
        "percent": round(compliance.share * 100),
        "targeted": compliance.total("targeted"),
        "compliant": compliance.total("compliant"),
        "open": compliance.total("open"),
        "missed": compliance.total("missed"),
        "classes": {
            c.connectivity.value: f"{c.compliant}/{c.targeted} within {c.target_hours:g}h"
            for c in compliance.classes
        },
    }


def _state_fields(state: IntentState) -> dict[str, Any]:
    ring = state.ring
    return {
        "ringEnteredAt": timestamp(ring.entered_at) if ring.entered_at else None,
        "reachedRings": list(ring.reached),
        "rolledBackDigest": ring.rolled_back_digest,
        "ringHistory": [
            {
                "ring": entry.ring,
                "enteredAt": timestamp(entry.entered_at),
                "decision": str(entry.decision.get("decision", "")),
            }
            for entry in state.history[-MAX_HISTORY:]
        ],
        "applied": [
            {
                "platform": platform.value,
                "digest": applied.digest,
                "assignments": [
                    {"target": a.target.value, "groupId": a.group_id, "intent": a.intent.value}
                    for a in applied.assignments
                ],
            }
            for platform, applied in state.applied
        ],
        "rollbackValidated": None
        if state.rollback is None
        else {
            "build": state.rollback.build,
            "intent": state.rollback.intent,
            "ring": state.rollback.ring,
            "devices": state.rollback.devices,
            "at": timestamp(state.rollback.at),
        },
        "stateAsOf": timestamp(state.as_of) if state.as_of else None,
    }


def state_from_status(status: Mapping[str, Any]) -> IntentState | None:
    """The engine's record as a status holds it; ``None`` when it holds none or it is
    unreadable (the engine then starts the intent afresh, which the gates make safe)."""
    if not status.get("stateAsOf"):
        return None
    try:
        ring = StoredRing(
            status.get("currentRing"),
            _moment(status.get("ringEnteredAt")),
            status.get("rolledBackDigest"),
            tuple(status.get("reachedRings") or ()),
        )
        history = tuple(
            RingEntry(str(e["ring"]), _required_moment(e["enteredAt"]), {"decision": e["decision"]})
            for e in status.get("ringHistory") or ()
        )
        applied = tuple(
            (
                Platform(a["platform"]),
                Applied(
                    str(a["digest"]),
                    tuple(
                        sorted(
                            Assignment(
                                TargetKind(x["target"]),
                                x.get("groupId"),
                                AssignmentIntent(x["intent"]),
                            )
                            for x in a.get("assignments") or ()
                        )
                    ),
                ),
            )
            for a in status.get("applied") or ()
        )
        seen = status.get("rollbackValidated")
        rollback = (
            RollbackEvidence(
                str(seen["build"]),
                str(seen["intent"]),
                str(seen["ring"]),
                int(seen["devices"]),
                _required_moment(seen["at"]),
            )
            if seen
            else None
        )
    except (KeyError, TypeError, ValueError):
        return None
    return IntentState(ring, history, applied, _moment(status.get("stateAsOf")), rollback)


def _required_moment(text: Any) -> datetime:
    moment = _moment(text)
    if moment is None:
        raise ValueError(f"not a time: {text!r}")
    return moment


def failed_status(
    error: EucoraError,
    run: PassInfo,
    previous: Mapping[str, Any],
    *,
    generation: int | None,
    now: datetime,
) -> dict[str, Any]:
    """A pass that did not finish: Ready False with the error's reason; Stalled when
    retrying will not help (no requeue hint)."""
    stalled = error.requeue_after is None
    return {
        "lastPass": {"id": run.id, "at": timestamp(run.at), "revision": run.revision},
        "conditions": merge_conditions(
            previous.get("conditions") or [],
            [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": error.reason,
                    "message": error.message,
                },
                {
                    "type": "Stalled",
                    "status": "True" if stalled else "False",
                    "reason": error.reason if stalled else "Retrying",
                    "message": error.message,
                },
            ],
            generation=generation,
            now=now,
        ),
    }


#: fields a pass sets even when nothing else changed
_EVERY_PASS = frozenset({"lastPass", "stateAsOf"})


def unchanged(update: Mapping[str, Any], previous: Mapping[str, Any]) -> bool:
    """Whether ``update`` would change nothing but the pass it comes from: such a
    status patch is not sent (the engine's memory holds the same record)."""
    return all(
        _changes_nothing(value, previous.get(key))
        for key, value in update.items()
        if key not in _EVERY_PASS
    )


def drop_unchanged(update: MutableMapping[str, Any], previous: Mapping[str, Any]) -> None:
    """Leave out of ``update`` the fields that would not change ``previous``."""
    for key in [k for k, v in update.items() if _changes_nothing(v, previous.get(k))]:
        del update[key]


def _changes_nothing(patch: Any, old: Any) -> bool:
    """Whether merging ``patch`` over ``old`` (a JSON merge patch, as kopf sends status)
    leaves ``old`` as it is."""
    return bool(_plain(_merge(patch, old)) == _plain(old))


def _merge(patch: Any, old: Any) -> Any:
    """RFC 7386: objects merge key by key, ``None`` removes a key, anything else replaces."""
    if not isinstance(patch, Mapping):
        return patch
    merged = dict(old) if isinstance(old, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge(value, merged.get(key))
    return merged


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
