"""Governance of one intent: risk, blast radius, CAB requirement, approvals, exceptions.

The ``evaluate`` step of the reconcile flow and the body of ``eucora risk`` / ``eucora cab
status``. :func:`evaluate_governance` is the one entry point; it is pure — Git facts come
in through a :class:`Provenance`, ``now`` is explicit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from reconciler.domain.cab import (
    ApprovalVerdict,
    CabRequirement,
    DocumentProvenance,
    ExceptionVerdict,
    approved_rings,
    judge_approvals,
    judge_exceptions,
    requirement,
)
from reconciler.domain.models import FleetRepo
from reconciler.domain.policy_input import CabSummary, RiskSummary, ValidApproval, ValidException
from reconciler.domain.risk import RiskAssessment, assess_risk


class Provenance(Protocol):
    """Git facts about the fleet repo's files (``reconciler.gitops`` implements it)."""

    def document(self, file: str) -> DocumentProvenance:
        """Who added ``file``, in which commit, with which signature."""
        ...

    def last_author(self, file: str) -> str | None:
        """E-mail of the author of the last commit that changed ``file``."""
        ...


class NoProvenance:
    """For a plain directory: no commits, so no approval can be proven."""

    def document(self, file: str) -> DocumentProvenance:
        return DocumentProvenance(file)

    def last_author(self, file: str) -> str | None:
        return None


@dataclass(frozen=True, slots=True)
class IntentGovernance:
    intent: str
    digest: str
    risk: RiskAssessment
    need: CabRequirement
    approvals: tuple[ApprovalVerdict, ...]
    exceptions: tuple[ExceptionVerdict, ...]
    ring_approved: dict[str, bool]

    @property
    def approved_rings(self) -> tuple[str, ...]:
        return tuple(r for r, ok in self.ring_approved.items() if ok)

    @property
    def risk_summary(self) -> RiskSummary:
        return RiskSummary(
            score=self.risk.score,
            blast_radius=self.risk.classification.effective.value,
            auto_approve_threshold=self.need.auto_approve_threshold,
            exception_threshold=self.need.exception_threshold,
            decision=self.need.decision.value,
        )

    @property
    def cab_summary(self) -> CabSummary:
        return CabSummary(
            quorum=self.need.quorum,
            roles_required=self.need.roles,
            approvals=tuple(
                ValidApproval(v.approval.approver, v.roles, v.approval.rings)
                for v in self.approvals
                if v.valid and v.approval.exception is None
            ),
        )

    @property
    def valid_exceptions(self) -> tuple[ValidException, ...]:
        return tuple(
            ValidException(
                name=v.exception.name,
                covers_risk=v.exception.covers_risk,
                expires_at=v.exception.expires,
                freeze_windows=v.exception.covers_freeze_windows,
                rings=v.exception.rings,
            )
            for v in self.exceptions
            if v.valid
        )


def evaluate_governance(
    repo: FleetRepo, intent_name: str, provenance: Provenance, now: datetime
) -> IntentGovernance:
    intent = repo.intents[intent_name]
    fleet, model = repo.fleet, repo.risk_model
    if fleet is None or model is None:
        raise ValueError("governance needs a FleetConfig and its active risk model")
    risk = assess_risk(intent, model, repo, now)
    need = requirement(intent, risk.score, risk.classification.effective, fleet, model)
    approvals = repo.approvals_for(intent_name)
    exceptions = repo.exceptions_for(intent_name)
    files = [a.source.file for a in approvals] + [e.source.file for e in exceptions]
    facts = {file: provenance.document(file) for file in files}
    verdicts = judge_approvals(
        approvals,
        intent=intent,
        fleet=fleet,
        provenance=facts,
        intent_author=provenance.last_author(intent.source.file),
        now=now,
    )
    return IntentGovernance(
        intent=intent_name,
        digest=intent.digest,
        risk=risk,
        need=need,
        approvals=verdicts,
        exceptions=judge_exceptions(
            exceptions, verdicts, intent=intent, quorum=need.quorum, provenance=facts, now=now
        ),
        ring_approved=approved_rings(verdicts, need),
    )
