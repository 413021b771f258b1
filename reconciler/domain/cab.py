"""CAB rules: what an intent needs from the change advisory board, and which approvals count.

Pure: an approval is a signed attestation over its own content; whether its signature
verifies for the approver (at the time the reconciler first saw it) comes in as
:class:`Attested`, roles from the out-of-band :class:`~reconciler.domain.trust.TrustRoot`,
and the identities on the commits that changed the intent from ``reconciler.gitops``;
nothing here runs git or ssh-keygen.

Decision: ``auto_approved`` when the score is at or under the auto-approval threshold of
the intent's (effective) class at the fleet's trust-maturity level and the install is not
privileged and not critical infrastructure; ``exception_required`` above the risk model's
exception threshold; ``cab_required`` otherwise. Approval is needed for every ring from
FleetConfig ``cab.firstRing`` through the intent's ``rollout.until``.

Whether the valid approvals of a ring meet its quorum and roles is not decided here: the
requirement and the verdicts are the facts the Rego decision ``eucora.cab`` judges
(``domain.governance`` asks it), the one truth the promotion gate and the reports share.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reconciler.domain.models import (
    BlastRadius,
    CABApproval,
    CABException,
    Decision,
    DeploymentIntent,
    FleetConfig,
    RiskModel,
)
from reconciler.domain.trust import SignatureCheck, SignatureStatus, TrustRoot, is_pattern

MAX_EXCEPTION_DAYS = 90


class CabDecision(enum.StrEnum):
    AUTO_APPROVED = "auto_approved"
    CAB_REQUIRED = "cab_required"
    EXCEPTION_REQUIRED = "exception_required"


class Reason(enum.StrEnum):
    """Why an approval or exception does not count (``valid`` when it does)."""

    VALID = "valid"
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad-signature"
    UNKNOWN_SIGNER = "unknown-signer"
    NOT_CAB_MEMBER = "not-cab-member"
    ROLE_NOT_HELD = "role-not-held"
    DIGEST_MISMATCH = "digest-mismatch"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    SELF_APPROVAL = "self-approval"
    DUPLICATE_APPROVER = "duplicate-approver"
    REJECTED_DECISION = "rejected-decision"
    EXPIRY_TOO_LONG = "expiry-too-long"
    NOT_APPROVED = "not-approved"
    WITHDRAWN = "withdrawn"
    PATTERN_PRINCIPAL = "pattern-principal"
    EXCEPTION_CHANGED = "exception-changed"


@dataclass(frozen=True, slots=True)
class Attested:
    """What the verifier says of one signed document, and when the reconciler first saw
    it (key validity is judged at that time; without a state store, now)."""

    check: SignatureCheck
    first_seen: datetime


@dataclass(frozen=True, slots=True)
class Judging:
    """Everything an approval is judged against besides itself."""

    trust: TrustRoot
    attested: Mapping[str, Attested]  # approval name → signature facts
    #: identity → commit, for every commit that changed the intent since it was approved
    changers: Mapping[str, str]
    #: (approver, digest, exception) → time of a remembered signed withdrawal
    withdrawn: Mapping[tuple[str, str, str | None], datetime]
    now: datetime


@dataclass(frozen=True, slots=True)
class CabRequirement:
    decision: CabDecision
    auto_approve_threshold: float
    exception_threshold: float
    rings: tuple[str, ...]
    quorum: int
    roles: tuple[str, ...]
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ApprovalVerdict:
    approval: CABApproval
    reason: Reason
    detail: str = ""
    roles: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.reason is Reason.VALID


@dataclass(frozen=True, slots=True)
class ExceptionVerdict:
    exception: CABException
    reason: Reason
    detail: str = ""
    approvers: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return self.reason is Reason.VALID


def auto_approve_threshold(fleet: FleetConfig, model: RiskModel, blast: BlastRadius) -> float:
    level = model.maturity(fleet.maturity_level)
    return level.auto_approve.get(blast, 0.0) if level is not None else 0.0


def requirement(
    intent: DeploymentIntent,
    score: float,
    blast: BlastRadius,
    fleet: FleetConfig,
    model: RiskModel,
) -> CabRequirement:
    threshold = auto_approve_threshold(fleet, model, blast)
    reasons = []
    if score > model.exception_threshold:
        decision = CabDecision.EXCEPTION_REQUIRED
        reasons.append(f"score {score} > exception threshold {model.exception_threshold:g}")
    elif score > threshold or intent.privileged or blast is BlastRadius.CRITICAL_INFRASTRUCTURE:
        decision = CabDecision.CAB_REQUIRED
    else:
        decision = CabDecision.AUTO_APPROVED
    if score > threshold:
        reasons.append(
            f"score {score} > auto-approval threshold {threshold:g} for {blast.value} "
            f"at maturity level {fleet.maturity_level}"
        )
    if intent.privileged:
        reasons.append("privileged installs always need CAB")
    if blast is BlastRadius.CRITICAL_INFRASTRUCTURE:
        reasons.append("critical infrastructure is never auto-approved")
    rings: tuple[str, ...] = ()
    if decision is not CabDecision.AUTO_APPROVED:
        names = fleet.ring_names
        if fleet.cab.first_ring in names and intent.rollout.until in names:
            first, last = names.index(fleet.cab.first_ring), names.index(intent.rollout.until)
            rings = names[first : last + 1]
    return CabRequirement(
        decision=decision,
        auto_approve_threshold=threshold,
        exception_threshold=model.exception_threshold,
        rings=rings,
        quorum=fleet.cab.quorum.get(blast, 1),
        roles=fleet.cab.required_roles.get(blast, ()),
        reasons=tuple(reasons),
    )


def judge_approvals(
    approvals: Sequence[CABApproval], *, intent: DeploymentIntent, judging: Judging
) -> tuple[ApprovalVerdict, ...]:
    """A verdict per approval. A principal's latest signed decision per digest and target
    wins (a later rejection withdraws an approval); each principal counts once per target
    (the rollout or one exception)."""
    latest = _latest_decisions(approvals, judging)
    verdicts = []
    counted: set[tuple[str, str | None]] = set()
    for approval in sorted(approvals, key=lambda a: (a.approved_at, a.name)):
        reason, detail = _approval_reason(approval, intent, judging, latest)
        roles = judging.trust.roles_of(approval.approver)
        key = (approval.approver.lower(), approval.exception)
        if reason is Reason.VALID and key in counted:
            reason, detail = Reason.DUPLICATE_APPROVER, f"{approval.approver} already counted"
        if reason is Reason.VALID:
            counted.add(key)
        verdicts.append(ApprovalVerdict(approval, reason, detail, roles))
    return tuple(verdicts)


def _target(approval: CABApproval) -> tuple[str, str, str | None]:
    return (approval.approver.lower(), approval.intent_digest, approval.exception)


def _latest_decisions(
    approvals: Sequence[CABApproval], judging: Judging
) -> dict[tuple[str, str, str | None], CABApproval]:
    """The latest (by signed ``approvedAt``) signature-valid decision per target."""
    latest: dict[tuple[str, str, str | None], CABApproval] = {}
    for approval in approvals:
        facts = judging.attested.get(approval.name)
        if facts is None or not facts.check.good:
            continue
        key = _target(approval)
        seen = latest.get(key)
        if seen is None or (approval.approved_at, approval.decision is Decision.REJECTED) > (
            seen.approved_at,
            seen.decision is Decision.REJECTED,
        ):
            latest[key] = approval
    return latest


def rejections(
    approvals: Sequence[CABApproval], judging: Judging
) -> dict[tuple[str, str, str | None], datetime]:
    """Signed withdrawals to remember across revisions (a force-push cannot undo them)."""
    return {
        key: approval.approved_at
        for key, approval in _latest_decisions(approvals, judging).items()
        if approval.decision is Decision.REJECTED
    }


def _signature_reason(check: SignatureCheck) -> tuple[Reason, str] | None:
    if check.good:
        return None
    reason = {
        SignatureStatus.NONE: Reason.UNSIGNED,
        SignatureStatus.BAD: Reason.BAD_SIGNATURE,
        SignatureStatus.PATTERN: Reason.PATTERN_PRINCIPAL,
    }.get(check.status, Reason.UNKNOWN_SIGNER)
    return reason, check.detail


def _approval_reason(
    approval: CABApproval,
    intent: DeploymentIntent,
    judging: Judging,
    latest: Mapping[tuple[str, str, str | None], CABApproval],
) -> tuple[Reason, str]:
    if approval.decision is Decision.REJECTED:
        return Reason.REJECTED_DECISION, f"{approval.approver} rejected the change"
    if is_pattern(approval.approver):
        return Reason.PATTERN_PRINCIPAL, f"{approval.approver!r} is a pattern, not a person"
    facts = judging.attested.get(approval.name)
    if facts is None:
        return Reason.UNSIGNED, "no signature facts"
    refused = _signature_reason(facts.check)
    if refused is not None:
        return refused
    roles = judging.trust.roles_of(approval.approver)
    if not roles:
        return Reason.NOT_CAB_MEMBER, f"{approval.approver} holds no CAB role in the trust root"
    if approval.role and approval.role not in roles:
        return Reason.ROLE_NOT_HELD, f"{approval.approver} does not hold role {approval.role}"
    if approval.intent_digest != intent.digest:
        return Reason.DIGEST_MISMATCH, "the intent changed after this approval"
    winner = latest.get(_target(approval))
    if winner is not None and winner.decision is Decision.REJECTED:
        return Reason.WITHDRAWN, f"withdrawn by {winner.name} ({winner.approved_at.isoformat()})"
    remembered = judging.withdrawn.get(_target(approval))
    if remembered is not None and approval.approved_at <= remembered:
        return Reason.WITHDRAWN, f"withdrawn at {remembered.isoformat()} (remembered)"
    if approval.expires <= judging.now:
        return Reason.EXPIRED, f"expired {approval.expires.isoformat()}"
    if approval.approved_at > judging.now:
        return Reason.NOT_YET_VALID, f"approvedAt {approval.approved_at.isoformat()} is ahead"
    approver = approval.approver.lower()
    if approver == intent.requester.lower():
        return Reason.SELF_APPROVAL, f"{approval.approver} requested the intent"
    if approver in judging.changers:
        return Reason.SELF_APPROVAL, (
            f"{approval.approver} is on commit {judging.changers[approver][:12]}, "
            "which changed the intent"
        )
    return Reason.VALID, ""


def judge_exceptions(
    exceptions: Sequence[CABException],
    verdicts: Sequence[ApprovalVerdict],
    *,
    intent: DeploymentIntent,
    need: CabRequirement,
    now: datetime,
) -> tuple[ExceptionVerdict, ...]:
    """An exception counts when approvals bound to its exact content (``exceptionDigest``)
    meet the class's quorum and roles, and it expires within the limit of the earliest such
    signed ``approvedAt`` (a commit date is never used)."""
    result = []
    for exception in sorted(exceptions, key=lambda e: e.name):
        requester = exception.requested_by.lower()
        valid = [
            v
            for v in verdicts
            if v.valid
            and v.approval.exception == exception.name
            and v.approval.approver.lower() != requester
        ]
        bound = [v for v in valid if v.approval.exception_digest == exception.digest]
        approvers = tuple(sorted({v.approval.approver.lower() for v in bound}))
        roles = {role for v in bound for role in v.roles}
        granted = min((v.approval.approved_at for v in bound), default=None)
        if exception.intent_digest != intent.digest:
            reason, detail = Reason.DIGEST_MISMATCH, "the intent changed after the exception"
        elif valid and not bound:
            reason, detail = Reason.EXCEPTION_CHANGED, "the exception changed after approval"
        elif exception.expires <= now:
            reason, detail = Reason.EXPIRED, f"expired {exception.expires.isoformat()}"
        elif len(approvers) < need.quorum:
            reason, detail = Reason.NOT_APPROVED, f"{len(approvers)} of {need.quorum} approvals"
        elif not set(need.roles) <= roles:
            missing = ", ".join(sorted(set(need.roles) - roles))
            reason, detail = Reason.ROLE_NOT_HELD, f"no approval in role(s) {missing}"
        elif granted is not None and exception.expires > granted + timedelta(
            days=MAX_EXCEPTION_DAYS
        ):
            reason, detail = (
                Reason.EXPIRY_TOO_LONG,
                f"expires more than {MAX_EXCEPTION_DAYS} days after it was approved "
                f"({granted.date().isoformat()})",
            )
        else:
            reason, detail = Reason.VALID, ""
        result.append(ExceptionVerdict(exception, reason, detail, approvers))
    return tuple(result)
