"""Trust checks around a pass: revision descent, the trusted policy set, untrusted rules.

- A revision that does not descend from the last applied one (a force-push, a switched
  branch) is refused until its commit is acknowledged: history rewrites can otherwise
  undo a withdrawal or an incident in the reconciler's view without anyone noticing.
- Around the evaluate step: what the pass remembers (:func:`remember`), which
  ``supersedes`` are honoured, which pending changes decide for which intent.
- The repo's ``policies/`` are a governed document: while a loosening change to them is
  pending, the trusted files are put back into the pass's exported tree before the policy
  engine is built from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

import structlog

from reconciler.domain.documents.models import DeploymentIntent, FleetRepo
from reconciler.domain.errors import SourceError
from reconciler.domain.evaluation.cab import CabDecision
from reconciler.domain.evaluation.governance import GovernanceContext, IntentGovernance, payload_key
from reconciler.domain.evaluation.governed import Resolution, retirement_approved
from reconciler.domain.ports import PolicyEngine, Revision
from reconciler.engine._memory import TrustMemory
from reconciler.gitops import is_ancestor

log = structlog.get_logger("eucora.engine")

POLICY_DIR = "policies"


class UntrustedRevisionError(SourceError):
    """A revision the reconciler may not act on until someone acknowledges or approves."""

    reason = "Untrusted"
    transient = False


class PolicySource(Protocol):
    def for_tree(self, root: Path) -> PolicyEngine:
        """The policy engine for the fleet repo's files at ``root``."""
        ...


def check_descent(revision: Revision, last: str | None, acknowledged: set[str]) -> None:
    if not last or not revision.commit or last == revision.commit:
        return
    if revision.commit in acknowledged or is_ancestor(Path(revision.path), last, revision.commit):
        return
    raise UntrustedRevisionError(
        f"revision {revision.commit[:12]} does not descend from the last applied revision "
        f"{last[:12]} (history was rewritten?); review it, then acknowledge it with "
        f"--acknowledge-revision {revision.commit}"
    )


def read_policy_files(root: Path) -> dict[str, str] | None:
    directory = root / POLICY_DIR
    if not directory.is_dir():
        return None
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(directory.rglob("*.rego"))
        if path.is_file() and not path.is_symlink()
    }


def write_policy_files(root: Path, files: Mapping[str, str]) -> None:
    """Replace the tree's ``*.rego`` files by the trusted set (tests stay where they are)."""
    directory = root / POLICY_DIR
    if directory.is_dir():
        for path in directory.rglob("*.rego"):
            path.unlink()
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def untrusted_error(resolution: Resolution) -> UntrustedRevisionError:
    problems = "; ".join(
        f"{p.kind} {p.name}: {', '.join(p.loosenings)} — needs {p.needs}"
        for p in resolution.pending
        if p.kind in ("FleetConfig", "RiskModel")
    )
    return UntrustedRevisionError(f"no trusted FleetConfig and risk model to act on: {problems}")


def remember(
    memory: TrustMemory,
    repo: FleetRepo,
    resolution: Resolution,
    governance: Mapping[str, IntentGovernance],
    now: datetime,
) -> None:
    """Into ``memory``: first-seen times of signed documents, signed withdrawals, the
    trusted governed versions, and which intents are CAB-governed (retiring them is
    governed)."""
    signed = [(a.payload, a.signature) for a in repo.approvals.values()]
    signed += [(a.payload, a.signature) for a in repo.governance_approvals.values()]
    memory.see({payload_key(payload): now for payload, signature in signed if signature})
    for item in governance.values():
        memory.withdraw(item.withdrawals)
    trusted = dict(resolution.memory)
    governed = set(trusted.get("CabIntents", ()))
    governed |= {
        name for name, item in governance.items()
        if item.need.decision is not CabDecision.AUTO_APPROVED
    }  # fmt: skip
    trusted["CabIntents"] = sorted(governed)
    memory.trusted = trusted


def pending_for(name: str, resolution: Resolution, repo: FleetRepo) -> tuple[str, ...]:
    """Pending governance changes that decide for intent ``name``: fleet-wide documents for
    every intent, an incident for its own."""
    result = []
    for change in resolution.pending:
        if change.kind == "Incident":
            incident = repo.incidents.get(change.name)
            if incident is None or incident.intent != name:
                continue
        elif change.kind == "DeploymentIntent":
            continue
        result.append(f"{change.kind} {change.name}: {'; '.join(change.loosenings)}")
    return tuple(result)


def honoured_supersedes(
    repo: FleetRepo,
    governance: Mapping[str, IntentGovernance],
    context: GovernanceContext,
    now: datetime,
) -> Mapping[str, DeploymentIntent]:
    """``supersedes`` hands rings over only within the same app, or from an intent that is
    not CAB-governed, or with the superseded intent's retirement approved; otherwise it is
    ignored (both versions keep their own rings)."""
    result = dict(repo.intents)
    for name, intent in repo.intents.items():
        old_name = intent.rollout.supersedes
        old = repo.intents.get(old_name) if old_name else None
        if old is None or old_name is None:
            continue
        same_app = (old.app.name, old.app.publisher) == (intent.app.name, intent.app.publisher)
        governed = governance[old_name].need.decision is not CabDecision.AUTO_APPROVED
        if same_app or not governed or retirement_approved(repo, context, old_name, now):
            continue
        log.warning("supersedes ignored", intent=name, supersedes=old_name)
        result[name] = replace(intent, rollout=replace(intent.rollout, supersedes=None))
    return result
