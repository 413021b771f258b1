"""Builds the input documents of the Rego policies (``schemas/policy-input.schema.json``).

Sits between evaluation and gating in the flow: the engine evaluates an intent (risk,
CAB approvals, exceptions), observes its telemetry, and calls these builders; the policy
engine decides on their output. Everything a policy needs is computed here, and every
time is passed as Unix epoch seconds so that policies never parse timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from reconciler.domain.compliance import RingCompliance
from reconciler.domain.models import (
    DeploymentIntent,
    FleetConfig,
    FreezeWindow,
    Gates,
    Incident,
)
from reconciler.domain.rollback import RollbackFacts
from reconciler.domain.tenant import InstallCounts

DEFAULT_HALT_BELOW_SUCCESS_RATE = 0.90


@dataclass(frozen=True, slots=True)
class RiskSummary:
    """What the policies need of a risk evaluation."""

    score: float
    blast_radius: str
    auto_approve_threshold: float
    exception_threshold: float
    decision: str = ""


@dataclass(frozen=True, slots=True)
class ValidApproval:
    """A CAB approval that passed every provenance check."""

    approver: str
    roles: tuple[str, ...]
    rings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CabSummary:
    """The CAB facts the ``eucora.cab`` decision judges: which rings need approval and why
    (the requirement), the class's quorum and roles, and the valid approvals."""

    quorum: int
    roles_required: tuple[str, ...] = ()
    approvals: tuple[ValidApproval, ...] = ()
    #: rings that need CAB approval (empty when the intent is auto-approved)
    rings: tuple[str, ...] = ()
    #: why approval is needed (score over the threshold, privileged, critical infrastructure)
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ValidException:
    """A CABException that passed every check (approvals, digest, expiry)."""

    name: str
    covers_risk: bool
    expires_at: datetime
    freeze_windows: tuple[str, ...] = ()
    rings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RingState:
    """Where an intent stands: its current ring and since when, how its installs went
    and how fast the ring's devices got there."""

    current: str | None
    entered_at: datetime | None = None
    telemetry: InstallCounts = field(default_factory=InstallCounts)
    compliance: RingCompliance | None = None


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def effective_gates(fleet: FleetConfig, intent: DeploymentIntent, ring: str) -> Gates:
    """The fleet's gates for ``ring`` tightened by the intent's own."""
    base = fleet.ring(ring)
    gates = base.gates if base is not None else Gates()
    override = intent.rollout.gates.get(ring)
    return gates.tightened_by(override) if override is not None else gates


def _intent_section(intent: DeploymentIntent, now: datetime) -> dict[str, Any]:
    evidence = intent.evidence
    signature = evidence.get("signature", {})
    scan = evidence.get("scan")
    scan_age = None
    if scan is not None:
        scan_age = (now.date() - date.fromisoformat(scan["date"])).days
    return {
        "name": intent.name,
        "digest": intent.digest,
        "app": {"name": intent.app.name, "version": intent.app.version},
        "blastRadius": intent.blast_radius.value,
        "privileged": intent.privileged,
        "targetUsers": intent.target_users,
        "autoPromote": intent.rollout.auto_promote,
        "suspend": intent.rollout.suspend,
        "until": intent.rollout.until,
        "packages": {
            platform: {"sha256": package.sha256}
            for platform, package in (("windows", intent.windows), ("macos", intent.macos))
            if package is not None
        },
        "evidence": {
            "signed": bool(signature.get("signed", False)),
            "publisherTrusted": bool(signature.get("publisherTrusted", False)),
            "sbom": "sbom" in evidence,
            "scanAgeDays": scan_age,
        },
    }


def _risk_section(risk: RiskSummary) -> dict[str, Any]:
    section: dict[str, Any] = {
        "score": risk.score,
        "blastRadius": risk.blast_radius,
        "autoApproveThreshold": risk.auto_approve_threshold,
        "exceptionThreshold": risk.exception_threshold,
    }
    if risk.decision:
        section["decision"] = risk.decision
    return section


def _telemetry(ring: str | None, counts: InstallCounts) -> dict[str, Any]:
    return {
        "ring": ring,
        "installed": counts.installed,
        "failed": counts.failed,
        "pending": counts.pending,
        "reporting": counts.reporting,
        "successRate": counts.success_rate,
    }


def _incidents(incidents: Sequence[Incident]) -> list[dict[str, Any]]:
    return [
        {
            "name": i.name,
            "severity": i.severity.value,
            "status": i.status,
            "open": i.is_open,
            "title": i.title,
            "openedAt": epoch(i.opened_at),
        }
        for i in sorted(incidents, key=lambda i: i.name)
    ]


def _freeze(window: FreezeWindow) -> dict[str, Any]:
    return {
        "name": window.name,
        "start": epoch(window.start),
        "end": epoch(window.end),
        "rings": list(window.rings),
        "reason": window.reason,
    }


def admission_input(
    *, intent: DeploymentIntent, fleet: FleetConfig, risk: RiskSummary, now: datetime
) -> dict[str, Any]:
    """Input of ``eucora.admission``: may this intent be accepted at all?"""
    return {
        "now": epoch(now),
        "intent": _intent_section(intent, now),
        "rings": list(fleet.ring_names),
        "risk": _risk_section(risk),
    }


def _cab_section(fleet: FleetConfig, cab: CabSummary) -> dict[str, Any]:
    return {
        "firstRing": fleet.cab.first_ring,
        "rings": list(cab.rings),
        "reasons": list(cab.reasons),
        "quorum": cab.quorum,
        "rolesRequired": list(cab.roles_required),
        "approvals": [
            {"approver": a.approver, "roles": list(a.roles), "rings": list(a.rings)}
            for a in cab.approvals
        ],
    }


def cab_input(
    *,
    intent: DeploymentIntent,
    fleet: FleetConfig,
    target: str,
    risk: RiskSummary,
    cab: CabSummary,
    now: datetime,
) -> dict[str, Any]:
    """Input of ``eucora.cab``: do the valid approvals let the intent enter ``target``?
    Its sections are built by the same code as the promotion input's, which carries the
    decision's denies: what the reports read is what the gate decides."""
    return {
        "now": epoch(now),
        "intent": _intent_section(intent, now),
        "rings": list(fleet.ring_names),
        "promotion": {"to": target},
        "risk": _risk_section(risk),
        "cab": _cab_section(fleet, cab),
    }


def promotion_input(
    *,
    intent: DeploymentIntent,
    fleet: FleetConfig,
    target: str,
    state: RingState,
    incidents: Sequence[Incident],
    risk: RiskSummary,
    cab: CabSummary,
    exceptions: Sequence[ValidException],
    rollback: RollbackFacts,
    now: datetime,
) -> dict[str, Any]:
    """Input of ``eucora.promotion``: may the intent enter ``target`` from ``state.current``?"""
    gates = effective_gates(fleet, intent, target)
    compliance = state.compliance or RingCompliance(state.current, state.entered_at)
    return {
        "now": epoch(now),
        "intent": _intent_section(intent, now),
        "rings": list(fleet.ring_names),
        "promotion": {
            "from": state.current,
            "to": target,
            "enteredFromAt": epoch(state.entered_at) if state.entered_at else None,
        },
        "gates": {
            "minSuccessRate": gates.min_success_rate,
            "minDevices": gates.min_devices or 0,
            "soakHours": gates.soak_hours,
            "minCompliantShare": gates.min_compliant_share,
        },
        "telemetry": _telemetry(state.current, state.telemetry),
        "compliance": compliance.to_input(),
        "rollback": rollback.to_input(),
        "incidents": _incidents(incidents),
        "risk": _risk_section(risk),
        "cab": _cab_section(fleet, cab),
        "exceptions": [
            {
                "name": e.name,
                "coversRisk": e.covers_risk,
                "freezeWindows": list(e.freeze_windows),
                "rings": list(e.rings),
                "expiresAt": epoch(e.expires_at),
            }
            for e in exceptions
        ],
        "freezeWindows": [_freeze(w) for w in fleet.freeze_windows],
    }


def health_input(
    *,
    intent: DeploymentIntent,
    fleet: FleetConfig,
    state: RingState,
    incidents: Sequence[Incident],
    now: datetime,
) -> dict[str, Any]:
    """Input of ``eucora.health``: may the intent stay in its current ring?"""
    if state.current is None:
        raise ValueError("health is decided only for an intent that is in a ring")
    gates = effective_gates(fleet, intent, state.current)
    halt = gates.halt_below_success_rate
    # the sample that judges this ring is the one the next promotion requires
    names = fleet.ring_names
    position = names.index(state.current) if state.current in names else -1
    following = names[position + 1] if 0 <= position < len(names) - 1 else None
    sample = effective_gates(fleet, intent, following).min_devices if following else None
    return {
        "now": epoch(now),
        "intent": _intent_section(intent, now),
        "rings": list(fleet.ring_names),
        "health": {
            "ring": state.current,
            "haltBelowSuccessRate": DEFAULT_HALT_BELOW_SUCCESS_RATE if halt is None else halt,
            "minDevices": sample or gates.min_devices or 0,
        },
        "telemetry": _telemetry(state.current, state.telemetry),
        "incidents": _incidents(incidents),
    }
