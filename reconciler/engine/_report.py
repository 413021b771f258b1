"""What a pass tells its callers: per-intent reports and the pass summary.

Built at the end of :meth:`Reconciler.reconcile`; rendered by ``eucora reconcile`` and
``eucora plan`` as tables, Markdown or JSON, and copied by the operator into the custom
resources' status.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reconciler.domain.documents.models import DeploymentIntent, FleetConfig, Gates
from reconciler.domain.evaluation.cab import ApprovalVerdict
from reconciler.domain.evaluation.governed import PendingChange
from reconciler.domain.evaluation.risk import FactorScore
from reconciler.domain.gates.progress import GateOutcome, IntentProgress, Progress
from reconciler.domain.inputs.compliance import RingCompliance
from reconciler.domain.inputs.policy_input import effective_gates
from reconciler.domain.planning.conditions import Condition, intent_conditions
from reconciler.domain.planning.plan import Action, DriftItem, IntentPlan, Plan
from reconciler.domain.tenant import InstallCounts
from reconciler.engine._records import EvaluatedIntent, Managed, telemetry


@dataclass(frozen=True, slots=True)
class RingHealth:
    """Install results of an intent in one ring, next to that ring's gate."""

    ring: str
    counts: InstallCounts
    gates: Gates

    @property
    def verdict(self) -> str:
        """``no-data``, ``too-few-devices``, ``below-gate`` or ``meets-gate``."""
        rate = self.counts.success_rate
        if rate is None:
            return "no-data"
        if self.gates.min_devices is not None and self.counts.reporting < self.gates.min_devices:
            return "too-few-devices"
        if self.gates.min_success_rate is not None and rate < self.gates.min_success_rate:
            return "below-gate"
        return "meets-gate"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ring": self.ring,
            "installed": self.counts.installed,
            "failed": self.counts.failed,
            "pending": self.counts.pending,
            "reporting": self.counts.reporting,
            "successRate": self.counts.success_rate,
            "minSuccessRate": self.gates.min_success_rate,
            "minDevices": self.gates.min_devices,
            "haltBelowSuccessRate": self.gates.halt_below_success_rate,
            "verdict": self.verdict,
        }


def ring_health(
    fleet: FleetConfig, intent: DeploymentIntent, managed: Managed
) -> tuple[RingHealth, ...]:
    """Install results in every ring up to ``until``, with the gate each ring applies."""
    rings = fleet.ring_names
    last = rings.index(intent.rollout.until) if intent.rollout.until in rings else len(rings) - 1
    return tuple(
        RingHealth(
            ring, telemetry(fleet, intent, ring, managed), effective_gates(fleet, intent, ring)
        )
        for ring in rings[: last + 1]
    )


def approve_commands(
    intent: str, rings: Sequence[str], approved: Sequence[str], roles: Sequence[str]
) -> tuple[str, ...]:
    """What a CAB member runs to approve the rings still missing: one line per role the
    quorum needs (each approver acts in one), none when nothing is missing."""
    missing = [r for r in rings if r not in set(approved)]
    if not missing:
        return ()
    base = f"eucora approve {shlex.quote(intent)} --rings {','.join(missing)}"
    return tuple(f"{base} --role {shlex.quote(r)}" for r in roles) or (base,)


def _factor_dict(factor: FactorScore) -> dict[str, Any]:
    return {
        "factor": factor.name,
        "weight": factor.weight,
        "value": factor.value,
        "contribution": factor.contribution,
        "reason": factor.reason,
    }


def _verdict_dict(verdict: ApprovalVerdict) -> dict[str, Any]:
    approval = verdict.approval
    return {
        "file": approval.source.file,
        "approver": approval.approver,
        "role": approval.role,
        "rings": list(approval.rings),
        "valid": verdict.valid,
        "reason": verdict.reason.value,
        "detail": verdict.detail,
        "expires": approval.expires.isoformat(),
        "exception": approval.exception,
    }


@dataclass(frozen=True, slots=True)
class IntentReport:
    name: str
    app: str
    version: str
    platforms: tuple[str, ...]
    until: str
    ring: str | None
    state: Progress
    reason: str
    risk_score: float
    risk_factors: tuple[tuple[str, float, str], ...]
    blast_radius: str
    cab_decision: str
    cab_rings: tuple[str, ...]
    approvals_valid: int
    approvals_required: int
    approved_rings: tuple[str, ...]
    gates: tuple[GateOutcome, ...]
    drift: tuple[DriftItem, ...]
    actions: tuple[Action, ...]
    telemetry: InstallCounts
    errors: tuple[str, ...]
    conditions: tuple[Condition, ...]
    digest: str
    dry_run: bool = False
    #: every risk factor (``risk_factors`` holds the top three as plain tuples)
    risk_breakdown: tuple[FactorScore, ...] = ()
    auto_approve_threshold: float | None = None
    cab_roles: tuple[str, ...] = ()
    #: each CABApproval for this intent with its verdict
    approvals: tuple[ApprovalVerdict, ...] = ()
    #: install results per ring up to ``until``, against each ring's gate
    ring_health: tuple[RingHealth, ...] = ()
    #: time to compliance of the ring the intent was in when gated
    compliance: RingCompliance | None = None
    #: governance changes waiting for approval that affect this intent: the trusted
    #: versions decide for it meanwhile
    governance: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        evaluated: EvaluatedIntent,
        progress: IntentProgress,
        plan: IntentPlan | None,
        telemetry: InstallCounts,
        errors: Sequence[str],
        *,
        dry_run: bool,
        ring_health: tuple[RingHealth, ...] = (),
        compliance: RingCompliance | None = None,
    ) -> IntentReport:
        intent, governance = evaluated.intent, evaluated.governance
        drift = plan.drift if plan else ()
        valid = sum(1 for a in governance.approvals if a.valid)
        return cls(
            name=intent.name,
            app=intent.app.name,
            version=intent.app.version,
            platforms=tuple(a.platform.value for a in evaluated.desired),
            until=intent.rollout.until,
            ring=progress.ring,
            state=progress.state,
            reason=progress.reason,
            risk_score=governance.risk.score,
            risk_factors=tuple((f.name, f.contribution, f.reason) for f in governance.risk.top(3)),
            blast_radius=governance.risk.classification.effective.value,
            cab_decision=governance.need.decision.value,
            cab_rings=governance.need.rings,
            approvals_valid=valid,
            approvals_required=governance.need.quorum if governance.need.rings else 0,
            approved_rings=governance.approved_rings,
            gates=progress.gates,
            drift=drift,
            actions=plan.actions if plan else (),
            telemetry=telemetry,
            errors=tuple(errors),
            conditions=tuple(intent_conditions(progress, drift, errors)),
            digest=intent.digest,
            dry_run=dry_run,
            risk_breakdown=tuple(sorted(governance.risk.factors, key=lambda f: -f.contribution)),
            auto_approve_threshold=governance.need.auto_approve_threshold,
            cab_roles=governance.need.roles,
            approvals=governance.approvals,
            ring_health=ring_health,
            compliance=compliance,
        )

    def approve_commands(self) -> tuple[str, ...]:
        return approve_commands(self.name, self.cab_rings, self.approved_rings, self.cab_roles)

    @property
    def last_gate(self) -> GateOutcome | None:
        return self.gates[-1] if self.gates else None

    @property
    def writes(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.writes)

    def condition(self, kind: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == kind), None)

    def gate_summary(self) -> str:
        gate = self.last_gate
        if gate is None:
            return "—"
        if gate.result.allow:
            return f"{gate.decision} {gate.ring or ''} allowed".replace("  ", " ")
        ids = sorted({v.id for v in gate.result.deny})
        return f"{gate.ring or gate.decision}: " + ", ".join(ids)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "app": self.app,
            "version": self.version,
            "digest": self.digest,
            "platforms": list(self.platforms),
            "until": self.until,
            "ring": self.ring,
            "state": self.state.value,
            "reason": self.reason,
            "governancePending": list(self.governance),
            "risk": {
                "score": self.risk_score,
                "blastRadius": self.blast_radius,
                "decision": self.cab_decision,
                "topFactors": [
                    {"factor": n, "contribution": c, "reason": r} for n, c, r in self.risk_factors
                ],
                "factors": [_factor_dict(f) for f in self.risk_breakdown],
                "autoApproveThreshold": self.auto_approve_threshold,
            },
            "approvals": {
                "valid": self.approvals_valid,
                "required": self.approvals_required,
                "rings": list(self.cab_rings),
                "roles": list(self.cab_roles),
                "approvedRings": list(self.approved_rings),
                "verdicts": [_verdict_dict(v) for v in self.approvals],
            },
            "ringHealth": [h.to_dict() for h in self.ring_health],
            "gates": [g.to_dict() for g in self.gates],
            "lastGate": self.last_gate.to_dict() if self.last_gate else None,
            "drift": [
                {
                    "platform": d.platform.value,
                    "field": d.field,
                    "observed": d.observed,
                    "desired": d.desired,
                    "policy": d.policy.value,
                    "corrected": d.corrected,
                }
                for d in self.drift
            ],
            "actions": [a.to_dict() for a in self.actions],
            "telemetry": {
                "ring": self.ring,
                "installed": self.telemetry.installed,
                "failed": self.telemetry.failed,
                "pending": self.telemetry.pending,
                "successRate": self.telemetry.success_rate,
            },
            "timeToCompliance": _compliance(self.compliance),
            "errors": list(self.errors),
            "conditions": [c.to_dict() for c in self.conditions],
        }


def _compliance(compliance: RingCompliance | None) -> dict[str, Any] | None:
    """The time-to-compliance counts as reported (times as RFC 3339, not epoch)."""
    if compliance is None or compliance.ring is None:
        return None
    return {
        "ring": compliance.ring,
        "since": compliance.since.isoformat() if compliance.since else None,
        "share": compliance.share,
        "targeted": compliance.total("targeted"),
        "compliant": compliance.total("compliant"),
        "open": compliance.total("open"),
        "missed": compliance.total("missed"),
        "classes": {
            c.connectivity.value: {
                "targetHours": c.target_hours,
                "targeted": c.targeted,
                "compliant": c.compliant,
                "open": c.open,
                "missed": c.missed,
            }
            for c in compliance.classes
        },
    }


@dataclass(slots=True)
class PassResult:
    revision: str
    at: datetime
    dry_run: bool
    intents: list[IntentReport]
    orphans: list[Action]
    observed_requests: int
    writes: int
    planned_writes: int
    seconds: float
    platforms: list[str]
    rings: list[str]
    plan: Plan = field(repr=False)
    #: governed-document changes waiting for approval (the trusted versions applied)
    pending: list[PendingChange] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"{r.name}: {e}" for r in self.intents for e in r.errors]

    @property
    def ok(self) -> bool:
        return not self.errors

    def report(self, name: str) -> IntentReport:
        return next(r for r in self.intents if r.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "at": self.at.isoformat(),
            "dryRun": self.dry_run,
            "platforms": self.platforms,
            "rings": self.rings,
            "seconds": round(self.seconds, 3),
            "observedRequests": self.observed_requests,
            "writes": self.writes,
            "plannedWrites": self.planned_writes,
            "errors": self.errors,
            "intents": [r.to_dict() for r in self.intents],
            "orphans": [a.to_dict() for a in self.orphans],
            "pendingGovernance": [p.to_dict() for p in self.pending],
        }
