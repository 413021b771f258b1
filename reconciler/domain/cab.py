"""CAB rules: what an intent needs from the change advisory board, and which approvals count.

Pure: the facts about Git (who signed the commit that added an approval, who last changed
the intent, when an exception was added) come in as :class:`DocumentProvenance` gathered by
``reconciler.gitops``; nothing here runs git.

Decision: ``auto_approved`` when the score is at or under the auto-approval threshold of
the intent's (effective) class at the fleet's trust-maturity level and the install is not
privileged and not critical infrastructure; ``exception_required`` above the risk model's
exception threshold; ``cab_required`` otherwise. Approval is needed for every ring from
FleetConfig ``cab.firstRing`` through the intent's ``rollout.until``.
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
    SIGNER_MISMATCH = "signer-mismatch"
    NOT_CAB_MEMBER = "not-cab-member"
    ROLE_NOT_HELD = "role-not-held"
    DIGEST_MISMATCH = "digest-mismatch"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    SELF_APPROVAL = "self-approval"
    DUPLICATE_APPROVER = "duplicate-approver"
    REJECTED_DECISION = "rejected-decision"
    NO_PROVENANCE = "no-provenance"
    EXPIRY_TOO_LONG = "expiry-too-long"
    NOT_APPROVED = "not-approved"


@dataclass(frozen=True, slots=True)
class DocumentProvenance:
    """What Git says about one document file.

    ``signature`` is git's %G? code of the commit that added the file (G good, U good but
    unknown key, B bad, N none, …); ``signer`` the principal git matched in the out-of-band
    signers file (only for G).
    """

    file: str
    commit: str = ""
    signature: str = "N"
    signer: str | None = None
    author: str | None = None
    committed_at: datetime | None = None


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
    approvals: Sequence[CABApproval],
    *,
    intent: DeploymentIntent,
    fleet: FleetConfig,
    provenance: Mapping[str, DocumentProvenance],
    intent_author: str | None,
    now: datetime,
) -> tuple[ApprovalVerdict, ...]:
    """A verdict per approval; each principal counts once per target (rollout or exception)."""
    verdicts = []
    counted: set[tuple[str, str | None]] = set()
    for approval in sorted(approvals, key=lambda a: (a.approved_at, a.name)):
        facts = provenance.get(approval.source.file)
        reason, detail = _approval_reason(approval, facts, intent, fleet, intent_author, now)
        roles = fleet.cab.roles_of(approval.approver)
        key = (approval.approver.lower(), approval.exception)
        if reason is Reason.VALID and key in counted:
            reason, detail = Reason.DUPLICATE_APPROVER, f"{approval.approver} already counted"
        if reason is Reason.VALID:
            counted.add(key)
        verdicts.append(ApprovalVerdict(approval, reason, detail, roles))
    return tuple(verdicts)


def _approval_reason(
    approval: CABApproval,
    facts: DocumentProvenance | None,
    intent: DeploymentIntent,
    fleet: FleetConfig,
    intent_author: str | None,
    now: datetime,
) -> tuple[Reason, str]:
    if approval.decision is Decision.REJECTED:
        return Reason.REJECTED_DECISION, f"{approval.approver} rejected the change"
    if facts is None or not facts.commit:
        return Reason.NO_PROVENANCE, "no commit adds this file (not a git repository?)"
    if facts.signature == "N":
        return Reason.UNSIGNED, f"commit {facts.commit[:12]} is not signed"
    if facts.signature == "B":
        return Reason.BAD_SIGNATURE, f"commit {facts.commit[:12]} has a bad signature"
    if facts.signature != "G" or not facts.signer:
        return Reason.UNKNOWN_SIGNER, (
            f"commit {facts.commit[:12]} is signed by a key not in the signers file"
        )
    if facts.signer.lower() != approval.approver.lower():
        return Reason.SIGNER_MISMATCH, f"signed by {facts.signer}, not {approval.approver}"
    roles = fleet.cab.roles_of(approval.approver)
    if not roles:
        return Reason.NOT_CAB_MEMBER, f"{approval.approver} has no CAB role in FleetConfig"
    if approval.role and approval.role not in roles:
        return Reason.ROLE_NOT_HELD, f"{approval.approver} does not hold role {approval.role}"
    if approval.intent_digest != intent.digest:
        return Reason.DIGEST_MISMATCH, "the intent changed after this approval"
    if approval.expires <= now:
        return Reason.EXPIRED, f"expired {approval.expires.isoformat()}"
    if approval.approved_at > now:
        return Reason.NOT_YET_VALID, f"approvedAt {approval.approved_at.isoformat()} is ahead"
    approver = approval.approver.lower()
    if approver == intent.requester.lower():
        return Reason.SELF_APPROVAL, f"{approval.approver} requested the intent"
    if intent_author and approver == intent_author.lower():
        return Reason.SELF_APPROVAL, f"{approval.approver} authored the intent change"
    return Reason.VALID, ""


def approved_rings(verdicts: Sequence[ApprovalVerdict], need: CabRequirement) -> dict[str, bool]:
    """For each ring needing approval: do valid rollout approvals meet quorum and roles?"""
    result = {}
    for ring in need.rings:
        valid = [
            v
            for v in verdicts
            if v.valid and v.approval.exception is None and ring in v.approval.rings
        ]
        approvers = {v.approval.approver.lower() for v in valid}
        roles = {role for v in valid for role in v.roles}
        result[ring] = len(approvers) >= need.quorum and set(need.roles) <= roles
    return result


def judge_exceptions(
    exceptions: Sequence[CABException],
    verdicts: Sequence[ApprovalVerdict],
    *,
    intent: DeploymentIntent,
    quorum: int,
    provenance: Mapping[str, DocumentProvenance],
    now: datetime,
) -> tuple[ExceptionVerdict, ...]:
    result = []
    for exception in sorted(exceptions, key=lambda e: e.name):
        approvers = tuple(
            sorted(
                {
                    v.approval.approver.lower()
                    for v in verdicts
                    if v.valid and v.approval.exception == exception.name
                }
            )
        )
        facts = provenance.get(exception.source.file)
        added = facts.committed_at if facts else None
        if exception.intent_digest != intent.digest:
            reason, detail = Reason.DIGEST_MISMATCH, "the intent changed after the exception"
        elif exception.expires <= now:
            reason, detail = Reason.EXPIRED, f"expired {exception.expires.isoformat()}"
        elif added is None:
            reason, detail = Reason.NO_PROVENANCE, "no commit adds this file"
        elif exception.expires > added + timedelta(days=MAX_EXCEPTION_DAYS):
            reason, detail = (
                Reason.EXPIRY_TOO_LONG,
                f"expires more than {MAX_EXCEPTION_DAYS} days after it was added "
                f"({added.date().isoformat()})",
            )
        elif len(approvers) < quorum:
            reason, detail = (
                Reason.NOT_APPROVED,
                f"{len(approvers)} of {quorum} CAB approvals",
            )
        else:
            reason, detail = Reason.VALID, ""
        result.append(ExceptionVerdict(exception, reason, detail, approvers))
    return tuple(result)
