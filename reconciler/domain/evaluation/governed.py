"""Governed documents: which version of the rules a pass may use.

FleetConfig, the active risk model, the repo's policy set, open incidents and the set of
CAB-governed intents are governed. A new version takes effect when it is trusted first
(the trust root names its digest), when governance approvals bound to its digest meet the
trust root's quorum, or when compared with the last trusted version it only tightens
(:mod:`reconciler.domain.evaluation.loosening`). Otherwise the last trusted version stays in
force and the change is reported as pending, with what it needs. Pure: the last trusted versions
come from the state store (``memory``), signatures through a
:class:`~reconciler.domain.evaluation.governance.GovernanceContext`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from reconciler.domain.documents.digest import (
    canonical_json,
    content_digest,
    governed_digest,
    plain,
)
from reconciler.domain.documents.models import (
    Decision,
    FleetConfig,
    FleetRepo,
    GovernanceApproval,
    Incident,
    RiskModel,
    Source,
)
from reconciler.domain.documents.schemas import API_VERSION
from reconciler.domain.evaluation.governance import GovernanceContext
from reconciler.domain.evaluation.loosening import (
    fleet_loosenings,
    incident_loosening,
    risk_model_loosenings,
)

DELETED = "deleted"
POLICY_SET = "repo"
POLICY_DIR = "policies"


@dataclass(frozen=True, slots=True)
class PendingChange:
    """A loosening change waiting for governance approval; the trusted version applies."""

    kind: str
    name: str
    digest: str
    trusted_digest: str | None
    loosenings: tuple[str, ...]
    approvers: tuple[str, ...]
    quorum: int

    @property
    def needs(self) -> str:
        return (
            f"GovernanceApproval of {self.kind} {self.name} {self.digest} by "
            f"{self.quorum} governance approver(s) from the trust root "
            f"({len(self.approvers)} valid so far)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "digest": self.digest,
            "trustedDigest": self.trusted_digest,
            "loosens": list(self.loosenings),
            "approvers": list(self.approvers),
            "quorum": self.quorum,
            "needs": self.needs,
        }


@dataclass(frozen=True, slots=True)
class Resolution:
    """The rules in force for a pass, what is pending, and what to remember."""

    repo: FleetRepo
    pending: tuple[PendingChange, ...]
    memory: Mapping[str, Any]
    #: CAB-governed intents removed from Git without an approved retirement: never pruned
    protected: frozenset[str] = frozenset()
    trusted: Mapping[str, str] = field(default_factory=dict)  # key → digest in force
    policy_files: Mapping[str, str] | None = None  # the trusted policy set when pending

    @property
    def usable(self) -> bool:
        return self.repo.fleet is not None and self.repo.risk_model is not None


def document_of(kind: str, name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name},
        "spec": plain(spec),
    }


def policy_set_digest(files: Mapping[str, str]) -> str:
    return content_digest(canonical_json(dict(sorted(files.items()))))


class _Approvals:
    """Valid governance approvals per (kind, name, digest).

    A version is approved when a quorum of distinct governance approvers' signed windows
    (``approvedAt`` … ``expires``) were all open at one moment no later than now: the
    quorum was reached then, and the approval stays a fact after the windows close (so a
    check without a state store keeps trusting an approved version). Only signed times
    count; a principal's latest decision per digest wins.
    """

    def __init__(self, repo: FleetRepo, context: GovernanceContext, now: datetime) -> None:
        self.context, self.now = context, now
        latest: dict[tuple[str, str, str, str], GovernanceApproval] = {}
        for approval in repo.governance_approvals.values():
            check = context.attest(approval.approver, approval.payload, approval.signature, now)
            if not check.check.good or not context.trust.is_governance_approver(approval.approver):
                continue
            key = (approval.kind, approval.document, approval.digest, approval.approver.lower())
            seen = latest.get(key)
            if seen is None or approval.approved_at > seen.approved_at:
                latest[key] = approval
        self.valid: dict[tuple[str, str, str], dict[str, tuple[datetime, datetime]]] = {}
        for (kind, name, digest, approver), approval in latest.items():
            if approval.decision is not Decision.APPROVED:
                continue  # the approver's latest decision is a withdrawal
            if approval.approved_at > now or approval.expires <= approval.approved_at:
                continue
            window = (approval.approved_at, approval.expires)
            self.valid.setdefault((kind, name, digest), {})[approver] = window

    def approvers(
        self, kind: str, name: str, digest: str, exclude: frozenset[str] = frozenset()
    ) -> tuple[str, ...]:
        """The largest set of approvers whose windows were open together (before now)."""
        windows = {
            a: w for a, w in self.valid.get((kind, name, digest), {}).items() if a not in exclude
        }
        best: tuple[str, ...] = ()
        for moment in sorted({start for start, _ in windows.values() if start <= self.now}):
            live = tuple(sorted(a for a, (s, e) in windows.items() if s <= moment < e))
            if len(live) > len(best):
                best = live
        return best

    def approved(
        self, kind: str, name: str, digest: str, exclude: frozenset[str] = frozenset()
    ) -> bool:
        quorum = self.context.trust.governance_quorum
        return len(self.approvers(kind, name, digest, exclude)) >= quorum


def resolve_governed(
    repo: FleetRepo,
    memory: Mapping[str, Any],
    context: GovernanceContext,
    now: datetime,
    *,
    policy_files: Mapping[str, str] | None = None,
) -> Resolution:
    """The effective repo (trusted FleetConfig, risk model and incidents), pending changes,
    and the memory to save after the pass."""
    approvals = _Approvals(repo, context, now)
    quorum = context.trust.governance_quorum
    pending: list[PendingChange] = []
    new_memory: dict[str, Any] = dict(memory)
    trusted: dict[str, str] = {}
    remembered: dict[str, Any] = {}  # the trusted version each decision compared with

    def recall(kind: str, name: str, file: str, current: str) -> dict[str, Any] | None:
        """Without a remembered version: the newest committed one the trust root trusts
        first or governance approvals approve (so a CI check without state compares
        with it too)."""
        digests = frozenset(
            t.digest for t in context.trust.trusted if (t.kind, t.name) == (kind, name)
        ) | frozenset(d for (k, n, d) in approvals.valid if (k, n) == (kind, name)
                      and approvals.approved(k, n, d))  # fmt: skip
        digests -= {current}  # the current version is judged by decide(), not recalled
        data = context.provenance.version(file, kind, name, digests) if digests else None
        if data is None:
            return None
        spec = data["spec"]
        return {"digest": governed_digest(kind, name, spec),
                "document": document_of(kind, name, spec)}  # fmt: skip

    def decide(key: str, kind: str, name: str, digest: str, spec: Mapping[str, Any],
               loosen: Any, base: Any = None, file: str = "") -> bool:  # fmt: skip
        """True when the current version is in force; records the outcome. ``base`` is
        the version compared with when none is trusted yet (else first trust is needed)."""
        old = memory.get(key) or (recall(kind, name, file, digest) if file else None) or base
        if old is not None and old is not base:
            remembered[key] = old
        first = context.trust.trusts_first(kind, name, digest)
        # separation of duties: nobody on a commit that made this change approves it
        changers: set[str] = set()
        if file and approvals.valid.get((kind, name, digest)):
            stop = frozenset({old["digest"]}) if old else frozenset()
            for change in context.provenance.document_changes(file, kind, name, digest, stop):
                changers |= change.identities
        valid = approvals.approvers(kind, name, digest, frozenset(changers))
        approved = len(valid) >= quorum
        if approved or first or (old and old["digest"] == digest):
            problems: list[str] = []
        elif old is None:
            problems = ["no trusted version yet: name its digest in the trust root or approve it"]
        else:
            problems = loosen(old)
        if problems:
            if changers & set(approvals.valid.get((kind, name, digest), {})):
                problems.append("an approver is on a commit that made this change")
            pending.append(
                PendingChange(kind, name, digest, old["digest"] if old else None,
                              tuple(problems), valid, quorum)
            )  # fmt: skip
            if old is not None:
                trusted[key] = old["digest"]
                if old is not base:
                    new_memory.setdefault(key, old)
            return False
        new_memory[key] = {"digest": digest, "document": document_of(kind, name, spec)}
        trusted[key] = digest
        return True

    fleet = repo.fleet
    effective_fleet: FleetConfig | None = None
    if fleet is not None:
        ok = decide("FleetConfig", "FleetConfig", fleet.name, fleet.digest, fleet.spec,
                    lambda old: fleet_loosenings(_fleet(old), fleet),
                    file=fleet.source.file)  # fmt: skip
        effective_fleet = fleet if ok else _maybe(remembered.get("FleetConfig"), _fleet)
    models = dict(repo.risk_models)
    if effective_fleet is not None:
        name = effective_fleet.risk_model
        key = f"RiskModel/{name}"
        model = repo.risk_models.get(name)
        if model is None or not decide(
            key, "RiskModel", name, model.digest, model.spec,
            lambda old: risk_model_loosenings(_risk_model(old), model), file=model.source.file,
        ):  # fmt: skip
            kept = _maybe(remembered.get(key), _risk_model)
            if kept is not None:
                models[name] = kept
            else:
                models.pop(name, None)
    resolving = _Resolving(repo, memory, approvals, quorum, pending, new_memory)
    incidents = _incidents(resolving, _with_history(repo, memory, context))
    protected = _retirements(resolving)
    trusted_policies = None
    current_files = dict(policy_files or {})  # a deleted policies/ removes every rule
    digest = policy_set_digest(current_files)
    recalled = None if "PolicySet" in memory else _recall_policies(context, approvals, digest)
    if policy_files is not None or "PolicySet" in memory or recalled is not None:
        # repo policies only add gates, so a first policy set tightens: it acts at once
        base = recalled or {"digest": "", "document": {"spec": {"files": {}}}}
        old = memory.get("PolicySet", base)
        if not decide("PolicySet", "PolicySet", POLICY_SET, digest, {"files": current_files},
                      lambda old: _policy_loosenings(old, current_files), base):  # fmt: skip
            trusted_policies = old["document"]["spec"]["files"]
    effective = replace(
        repo,
        fleet=effective_fleet,
        risk_models=MappingProxyType(models),
        incidents=MappingProxyType(incidents),
    )
    return Resolution(effective, tuple(pending), new_memory, protected, trusted, trusted_policies)


def _recall_policies(
    context: GovernanceContext, approvals: _Approvals, current: str
) -> dict[str, Any] | None:
    """Without a remembered policy set: the newest committed one the trust root trusts
    first or a governance quorum approved."""
    wanted = {t.digest for t in context.trust.trusted if t.kind == "PolicySet"}
    wanted |= {
        d for (k, n, d) in approvals.valid if k == "PolicySet" and approvals.approved(k, n, d)
    }
    wanted.discard(current)
    if not wanted:
        return None
    for files in context.provenance.policy_sets(POLICY_DIR):
        digest = policy_set_digest(files)
        if digest in wanted:
            return {"digest": digest, "document": document_of("PolicySet", POLICY_SET,
                                                              {"files": dict(files)})}  # fmt: skip
    return None


def _maybe(record: Any, build: Any) -> Any:
    return None if record is None else build(record)


def _fleet(record: Mapping[str, Any]) -> FleetConfig:
    return FleetConfig.from_document(record["document"], Source("(last trusted FleetConfig)"))


def _risk_model(record: Mapping[str, Any]) -> RiskModel:
    return RiskModel.from_document(record["document"], Source("(last trusted RiskModel)"))


def _incident(record: Mapping[str, Any]) -> Incident:
    return Incident.from_document(record["document"], Source("(last trusted Incident)"))


def _policy_loosenings(old: Mapping[str, Any], files: Mapping[str, str]) -> list[str]:
    before: Mapping[str, str] = old["document"]["spec"]["files"]
    changed = sorted(p for p, text in before.items() if files.get(p) != text)
    return [f"removes or changes repo policy {p}" for p in changed]


def _with_history(
    repo: FleetRepo, memory: Mapping[str, Any], context: GovernanceContext
) -> Mapping[str, Any]:
    """``memory``, plus — for an incident it does not know — the newest earlier committed
    version that was open, so a check without a state store sees a closure (or, from the
    deleted files, a deletion) too."""
    result = dict(memory)
    for data in context.provenance.removed("Incident"):
        name = str(data["metadata"].get("name"))
        key = f"Incident/{name}"
        if key in result or name in repo.incidents:
            continue
        try:
            gone = Incident.from_document(data, Source("(deleted Incident)"))
        except (KeyError, ValueError, TypeError):
            continue
        if gone.is_open:
            document = document_of("Incident", name, incident_spec(gone))
            result[key] = {"digest": gone.digest, "document": document}
    for name, incident in repo.incidents.items():
        key = f"Incident/{name}"
        if key in result:
            continue
        for data in context.provenance.versions(incident.source.file, "Incident", name):
            spec = data["spec"]
            if governed_digest("Incident", name, spec) == incident.digest:
                continue
            earlier = Incident.from_document(data, Source("(earlier committed Incident)"))
            if earlier.is_open:
                result[key] = {"digest": earlier.digest, "document": document_of(
                    "Incident", name, incident_spec(earlier))}  # fmt: skip
                break
    return result


@dataclass(frozen=True, slots=True)
class _Resolving:
    """What the resolution of one revision shares: the repo, the remembered versions, the
    governance approvals and quorum, and where it collects pending changes and the memory
    to save."""

    repo: FleetRepo
    memory: Mapping[str, Any]
    approvals: _Approvals
    quorum: int
    pending: list[PendingChange]
    new_memory: dict[str, Any]

    def hold(self, kind: str, name: str, digest: str, old: str | None, problem: str) -> None:
        """A change that waits for its governance approvals."""
        approvers = self.approvals.approvers(kind, name, digest)
        self.pending.append(
            PendingChange(kind, name, digest, old, (problem,), approvers, self.quorum)
        )


def _incidents(resolving: _Resolving, memory: Mapping[str, Any]) -> dict[str, Incident]:
    """New and escalated incidents act at once; closing, downgrading or deleting an open
    one waits for governance approval, and the trusted (open) version applies meanwhile.
    ``memory`` holds, besides the remembered versions, the open ones found in history."""
    repo, approvals, new_memory = resolving.repo, resolving.approvals, resolving.new_memory
    result = dict(repo.incidents)
    for key in [k for k in memory if k.startswith("Incident/")]:
        old = _incident(memory[key])
        new = repo.incidents.get(old.name)
        if new is None and old.intent not in repo.intents:
            new_memory.pop(key, None)  # removed with its intent: the retirement is governed
            continue
        loosening = incident_loosening(old, new)
        digest = new.digest if new is not None else DELETED
        if loosening is None or approvals.approved("Incident", old.name, digest):
            if new is None:
                new_memory.pop(key, None)
            continue
        resolving.hold("Incident", old.name, digest, old.digest, loosening)
        result[old.name] = old
    for name, incident in result.items():
        key = f"Incident/{name}"
        if incident.source.file.startswith("("):
            continue  # kept from memory
        new_memory[key] = {
            "digest": incident.digest,
            "document": document_of("Incident", name, _incident_spec(repo, name)),
        }
    return result


def _incident_spec(repo: FleetRepo, name: str) -> Mapping[str, Any]:
    incident = repo.incidents[name]
    return incident_spec(incident)


def incident_spec(incident: Incident) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "intent": incident.intent,
        "severity": incident.severity.value,
        "status": incident.status,
        "title": incident.title,
        "openedAt": incident.opened_at.isoformat(),
    }
    if incident.rings:
        spec["rings"] = list(incident.rings)
    return spec


def _retirements(resolving: _Resolving) -> frozenset[str]:
    """A CAB-governed intent removed from Git is retired (and may be pruned) only with an
    approved ``deleted`` governance approval."""
    repo, approvals = resolving.repo, resolving.approvals
    governed = set(resolving.memory.get("CabIntents", ()))
    protected = set()
    for name in sorted(governed - set(repo.intents)):
        if approvals.approved("DeploymentIntent", name, DELETED):
            governed.discard(name)
            continue
        protected.add(name)
        resolving.hold("DeploymentIntent", name, DELETED, None,
                       f"retires CAB-governed intent {name!r}")  # fmt: skip
    resolving.new_memory["CabIntents"] = sorted(governed)
    return frozenset(protected)


def retirement_approved(repo: FleetRepo, context: GovernanceContext, name: str,
                        now: datetime) -> bool:  # fmt: skip
    """Is the retirement of intent ``name`` approved (e.g. for a cross-app supersedes)?"""
    return _Approvals(repo, context, now).approved("DeploymentIntent", name, DELETED)
