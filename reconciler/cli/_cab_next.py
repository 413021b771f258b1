"""``eucora cab status``: what is still missing per ring, and the command to run next.

Read from an intent's governance (requirement, each approval's verdict, and the ``eucora.cab``
decision per ring, the same one the promotion gate includes) and the trust root's CAB
members; kept apart from the status rendering so that how approvals are verified can change
without touching it. The computing is pure; ``print_next`` and ``next_json`` only render it.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.markup import escape

from reconciler.cli._common import console
from reconciler.domain.governance import IntentGovernance
from reconciler.domain.models import FleetRepo


@dataclass(frozen=True, slots=True)
class RingNeed:
    ring: str
    approvals_missing: int
    roles_missing: tuple[str, ...]
    could_approve: tuple[str, ...]
    #: for each missing role, the members who hold it and could still approve
    holders: dict[str, tuple[str, ...]]
    #: the ``eucora.cab`` decision allows the ring
    approved: bool
    #: what the decision denies with, when not for quorum or roles (a policy error)
    other: str = ""

    @property
    def done(self) -> bool:
        return self.approved

    def describe(self) -> str:
        if self.done:
            return f"{self.ring}: approved"
        if self.other:
            return f"{self.ring}: {self.other}"
        parts = []
        if self.approvals_missing:
            parts.append(f"{self.approvals_missing} more approval(s)")
        if self.roles_missing:
            parts.append(f"role(s) {', '.join(self.roles_missing)} not yet covered")
        who = f"; can approve: {', '.join(self.could_approve)}" if self.could_approve else ""
        return f"{self.ring}: " + " and ".join(parts) + who


def ring_needs(
    result: IntentGovernance, repo: FleetRepo, members: Mapping[str, Sequence[str]]
) -> list[RingNeed]:
    """Per CAB ring: approvals and roles still missing, and who could add them (``members``:
    the trust root's principals and their roles). A ring is done when the ``eucora.cab``
    decision allows it; otherwise what is missing is counted from the facts it judged."""
    intent = repo.intents.get(result.intent)
    if intent is None:
        return []
    needs = []
    facts = result.cab_summary
    for ring, decision in result.cab_decisions.items():
        valid = [a for a in facts.approvals if ring in a.rings]
        covered = {role for a in valid for role in a.roles}
        roles_missing = tuple(r for r in facts.roles_required if r not in covered)
        missing = max(facts.quorum - len({a.approver for a in valid}), 0)
        if decision.allow:
            roles_missing, missing = (), 0
        other = "" if missing or roles_missing or decision.allow else decision.deny[0].msg
        # whoever approved anything covering the ring (an exception too) is not asked again
        signed = {
            v.approval.approver for v in result.approvals if v.valid and ring in v.approval.rings
        }
        taken = {a.lower() for a in signed} | {intent.requester.lower()}
        eligible = sorted((p, tuple(r)) for p, r in members.items() if p.lower() not in taken)
        # holders of a missing role first: they close two gaps at once
        eligible.sort(key=lambda m: not set(roles_missing) & set(m[1]))
        could = tuple(p for p, _ in eligible) if missing or roles_missing else ()
        holders = {role: tuple(p for p, r in eligible if role in r) for role in roles_missing}
        needs.append(RingNeed(ring, missing, roles_missing, could, holders, decision.allow, other))
    return needs


def next_commands(
    result: IntentGovernance, needs: list[RingNeed], repo_dir: Path, signers: Path | None
) -> list[str]:
    """What to run next, most useful first."""
    intent = shlex.quote(result.intent)
    where = "" if repo_dir == Path() else f" --repo {shlex.quote(str(repo_dir))}"
    commands = []
    if signers is None:
        commands.append(
            f"eucora cab status {intent}{where} --signers FILE   "
            "# without the CAB's allowed_signers file no approval counts"
        )
    pending = [n for n in needs if not n.done]
    if pending:
        rings = ",".join(n.ring for n in pending)
        roles = sorted({r for n in pending for r in n.roles_missing})
        if roles:
            who = sorted({p for n in pending for p in n.holders.get(roles[0], ())})
            role = f" --role {shlex.quote(roles[0])}"
        else:
            who, role = sorted({p for n in pending for p in n.could_approve}), ""
        by = f"   # as one of: {', '.join(who)}" if who else ""
        commands.append(f"eucora approve {intent} --rings {rings}{role}{where}{by}")
    return commands


def next_json(needs: list[RingNeed], commands: list[str]) -> dict[str, Any]:
    return {
        "missing": [
            {
                "ring": n.ring,
                "approvalsMissing": n.approvals_missing,
                "rolesMissing": list(n.roles_missing),
                "couldApprove": list(n.could_approve),
            }
            for n in needs
            if not n.done
        ],
        "next": commands,
    }


def print_next(needs: list[RingNeed], commands: list[str]) -> None:
    pending = [n for n in needs if not n.done]
    if pending:
        console.print("[bold]missing[/bold]")
        for need in pending:
            console.print(f"  {escape(need.describe())}", soft_wrap=True)
    for command in commands:
        console.print(f"[bold]next:[/bold] {escape(command)}", soft_wrap=True)
