"""Governance of one intent: risk, blast radius, CAB requirement, approvals, exceptions.

The ``evaluate`` step of the reconcile flow and the body of ``eucora risk`` / ``eucora cab
status``. :func:`evaluate_governance` is the one entry point; it is pure — Git facts come
in through a :class:`GovernanceContext` (history, signature verifier, trust root, what
the state store remembers, the policy engine), ``now`` is explicit.

One truth for CAB: this module computes the facts (the requirement from ``domain.cab``:
which rings need approval and why; each approval's verdict and its approver's roles), and
the Rego decision ``eucora.cab`` decides, per ring, whether the valid approvals meet the
quorum and roles. The promotion gate includes that same decision, so what the reports say
is approved is what the gate lets through.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from reconciler.domain.cab import (
    ApprovalVerdict,
    Attested,
    CabDecision,
    CabRequirement,
    ExceptionVerdict,
    Judging,
    judge_approvals,
    judge_exceptions,
    rejections,
    requirement,
)
from reconciler.domain.models import Decision, DeploymentIntent, FleetConfig, FleetRepo
from reconciler.domain.policy_input import (
    CabSummary,
    RiskSummary,
    ValidApproval,
    ValidException,
    cab_input,
)
from reconciler.domain.ports import PolicyDecision, PolicyEngine, Violation
from reconciler.domain.risk import RiskAssessment, assess_risk
from reconciler.domain.trust import EMPTY_TRUST, NoVerifier, TrustRoot, Verifier


@dataclass(frozen=True, slots=True)
class Change:
    """One commit that changed an intent's digest, and every identity on it."""

    commit: str
    identities: frozenset[str]
    signed: bool = False
    #: a root commit or a shallow clone's boundary: it made everything it holds
    boundary: bool = False


class Provenance(Protocol):
    """Git facts about the fleet repo's history (``reconciler.gitops`` implements it)."""

    def changes(self, intent: DeploymentIntent, stop: frozenset[str]) -> tuple[Change, ...]:
        """Commits that changed the intent's digest, newest first, back to the newest
        earlier version whose digest is in ``stop`` (approved before)."""
        ...

    def document_changes(
        self, file: str, kind: str, name: str, current: str, stop: frozenset[str]
    ) -> tuple[Change, ...]:
        """Commits that changed governed document ``kind``/``name`` in ``file`` (its digest
        now ``current``), back to the newest earlier version whose digest is in ``stop``."""
        ...

    def versions(self, file: str, kind: str, name: str) -> tuple[Mapping[str, Any], ...]:
        """Every committed version of document ``kind``/``name`` in ``file``, newest first."""
        ...

    def policy_sets(self, directory: str) -> tuple[Mapping[str, str], ...]:
        """The ``*.rego`` files under ``directory`` (path → text) at every commit that
        changed them, newest first."""
        ...

    def removed(self, kind: str) -> tuple[Mapping[str, Any], ...]:
        """The last version of every ``kind`` document in a file the history deleted,
        newest deletion first."""
        ...

    def version(
        self, file: str, kind: str, name: str, digests: frozenset[str]
    ) -> Mapping[str, Any] | None:
        """The newest committed version of document ``kind``/``name`` once held in ``file``
        whose governed digest is one of ``digests`` (its parsed document), if any."""
        ...


class NoProvenance:
    """For a plain directory: no history, so nobody is known to have changed anything."""

    def changes(self, intent: DeploymentIntent, stop: frozenset[str]) -> tuple[Change, ...]:
        return ()

    def document_changes(
        self, file: str, kind: str, name: str, current: str, stop: frozenset[str]
    ) -> tuple[Change, ...]:
        return ()

    def versions(self, file: str, kind: str, name: str) -> tuple[Mapping[str, Any], ...]:
        return ()

    def removed(self, kind: str) -> tuple[Mapping[str, Any], ...]:
        return ()

    def policy_sets(self, directory: str) -> tuple[Mapping[str, str], ...]:
        return ()

    def version(
        self, file: str, kind: str, name: str, digests: frozenset[str]
    ) -> Mapping[str, Any] | None:
        return None


class NoPolicyEngine:
    """No policy engine: nothing can decide CAB approval, so no ring counts as approved."""

    name = "none"

    def decide(self, package: str, input_document: Mapping[str, Any]) -> PolicyDecision:
        reason = f"no policy engine to decide eucora.{package}"
        return PolicyDecision(allow=False, deny=(Violation("policy-error", reason),))


@dataclass(frozen=True, slots=True)
class GovernanceContext:
    """The out-of-band trust, the facts a pass judges approvals with, and the policy
    engine that decides CAB approval of each ring."""

    provenance: Provenance = field(default_factory=NoProvenance)
    verifier: Verifier = field(default_factory=NoVerifier)
    trust: TrustRoot = EMPTY_TRUST
    #: when the reconciler first saw a signed document (its payload digest → time)
    first_seen: Mapping[str, datetime] = field(default_factory=dict)
    withdrawn: Mapping[tuple[str, str, str | None], datetime] = field(default_factory=dict)
    policy: PolicyEngine = field(default_factory=NoPolicyEngine)

    def attest(self, approver: str, payload: bytes, signature: str, now: datetime) -> Attested:
        seen = self.first_seen.get(payload_key(payload), now)
        return Attested(self.verifier.verify(approver, payload, signature, seen), seen)


def payload_key(payload: bytes) -> str:
    return "sha256:" + hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True, slots=True)
class IntentGovernance:
    intent: str
    digest: str
    risk: RiskAssessment
    need: CabRequirement
    approvals: tuple[ApprovalVerdict, ...]
    exceptions: tuple[ExceptionVerdict, ...]
    #: the ``eucora.cab`` decision for each ring that needs CAB approval, in ring order
    cab_decisions: Mapping[str, PolicyDecision]
    #: signed withdrawals seen in this revision, for the state store to remember
    withdrawals: Mapping[tuple[str, str, str | None], datetime] = field(default_factory=dict)

    @property
    def ring_approved(self) -> dict[str, bool]:
        return {ring: decision.allow for ring, decision in self.cab_decisions.items()}

    @property
    def approved_rings(self) -> tuple[str, ...]:
        return tuple(r for r, ok in self.ring_approved.items() if ok)

    @property
    def risk_summary(self) -> RiskSummary:
        return risk_summary(self.risk, self.need)

    @property
    def cab_summary(self) -> CabSummary:
        return cab_summary(self.need, self.approvals)

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


def risk_summary(risk: RiskAssessment, need: CabRequirement) -> RiskSummary:
    return RiskSummary(
        score=risk.score,
        blast_radius=risk.classification.effective.value,
        auto_approve_threshold=need.auto_approve_threshold,
        exception_threshold=need.exception_threshold,
        decision=need.decision.value,
    )


def cab_summary(need: CabRequirement, verdicts: Sequence[ApprovalVerdict]) -> CabSummary:
    """The facts ``eucora.cab`` decides on: the requirement and the valid rollout approvals
    (exception approvals count for their exception only) with their approvers' roles."""
    return CabSummary(
        quorum=need.quorum,
        roles_required=need.roles,
        approvals=tuple(
            ValidApproval(v.approval.approver, v.roles, v.approval.rings)
            for v in verdicts
            if v.valid and v.approval.exception is None
        ),
        rings=need.rings,
        reasons=need.reasons,
    )


def cab_decisions(
    policy: PolicyEngine,
    intent: DeploymentIntent,
    fleet: FleetConfig,
    risk: RiskSummary,
    cab: CabSummary,
    now: datetime,
) -> dict[str, PolicyDecision]:
    """The ``eucora.cab`` decision for every ring that needs CAB approval."""
    return {
        ring: policy.decide(
            "cab", cab_input(intent=intent, fleet=fleet, target=ring, risk=risk, cab=cab, now=now)
        )
        for ring in cab.rings
    }


def evaluate_governance(
    repo: FleetRepo, intent_name: str, context: GovernanceContext, now: datetime
) -> IntentGovernance:
    intent = repo.intents[intent_name]
    fleet, model = repo.fleet, repo.risk_model
    if fleet is None or model is None:
        raise ValueError("governance needs a FleetConfig and its active risk model")
    risk = assess_risk(intent, model, repo, now)
    need = _requirement(intent, risk, repo, now)
    approvals = repo.approvals_for(intent_name)
    attested = {a.name: context.attest(a.approver, a.payload, a.signature, now) for a in approvals}
    stop = frozenset(
        a.intent_digest
        for a in approvals
        if a.decision is Decision.APPROVED and attested[a.name].check.good
    )
    changers: dict[str, str] = {}
    for change in context.provenance.changes(intent, stop):
        for identity in change.identities:
            changers.setdefault(identity, change.commit)
    judging = Judging(context.trust, attested, changers, context.withdrawn, now)
    verdicts = judge_approvals(approvals, intent=intent, judging=judging)
    return IntentGovernance(
        intent=intent_name,
        digest=intent.digest,
        risk=risk,
        need=need,
        approvals=verdicts,
        exceptions=judge_exceptions(
            repo.exceptions_for(intent_name), verdicts, intent=intent, need=need, now=now
        ),
        cab_decisions=cab_decisions(
            context.policy,
            intent,
            fleet,
            risk_summary(risk, need),
            cab_summary(need, verdicts),
            now,
        ),
        withdrawals=rejections(approvals, judging),
    )


_STRICTNESS = (CabDecision.AUTO_APPROVED, CabDecision.CAB_REQUIRED, CabDecision.EXCEPTION_REQUIRED)


def _requirement(
    intent: DeploymentIntent, risk: RiskAssessment, repo: FleetRepo, now: datetime
) -> CabRequirement:
    """What the CAB must approve. ``riskOverrides`` that lower a factor cannot lower the
    decision: it is taken on the score without them when that is stricter, so the CAB's
    approval (bound to the digest, overrides included) is what accepts them."""
    fleet, model = repo.fleet, repo.risk_model
    if fleet is None or model is None:  # pragma: no cover - checked by the caller
        raise ValueError("governance needs a FleetConfig and its active risk model")
    need = requirement(intent, risk.score, risk.classification.effective, fleet, model)
    if not intent.risk_overrides:
        return need
    plain = assess_risk(replace(intent, risk_overrides=()), model, repo, now)
    if plain.score <= risk.score:
        return need
    strict = requirement(intent, plain.score, plain.classification.effective, fleet, model)
    if _STRICTNESS.index(strict.decision) <= _STRICTNESS.index(need.decision):
        return need
    note = (
        f"riskOverrides lower the score from {plain.score} to {risk.score}; "
        f"the decision stays {strict.decision.value} until the CAB approves them"
    )
    return replace(strict, reasons=(*strict.reasons, note))
