"""Before ``eucora approve`` writes anything: may this person approve these rings?

Pure checks on the request against who holds which CAB role (the trust root), so a
mistake is refused with a clear message instead of committing an approval that can never
count: an approver who is not a CAB member, a role the approver does not hold, a ring the
fleet does not have (with a did-you-mean), approving one's own request. Whether a
signature counts is still decided where approvals are verified; these checks only stop the
obvious before it lands.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from reconciler.domain.documents.models import FleetConfig


def did_you_mean(word: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_rings(rings: Sequence[str], fleet: FleetConfig) -> list[str]:
    """One message per ring the fleet does not have."""
    known = fleet.ring_names
    listed = ", ".join(known)
    return [
        f"ring {ring!r} is not one of the fleet's rings ({listed}){did_you_mean(ring, known)}"
        for ring in rings
        if ring not in known
    ]


def approval_refusals(
    *,
    members: Mapping[str, Sequence[str]],
    source: str,
    approver: str,
    role: str | None,
    requester: str,
) -> list[str]:
    """Why ``approver`` may not approve (acting in ``role``); empty when they may.
    ``members`` maps each CAB principal to their roles, as ``source`` (the out-of-band trust
    root, or fleet.yaml's list when none is given) names them. Rings are checked apart
    (:func:`unknown_rings`): a ring that does not exist is a usage error."""
    problems = []
    held = {principal.lower(): tuple(roles) for principal, roles in members.items()}
    known = sorted(held)
    if approver.lower() not in held:
        listed = ", ".join(known) or "none"
        problems.append(
            f"{approver} is not a CAB member in {source} ({listed}); "
            "an approval by a non-member never counts" + did_you_mean(approver.lower(), known)
        )
    elif role is not None and role not in held[approver.lower()]:
        roles = held[approver.lower()]
        problems.append(
            f"{approver} does not hold the role {role!r} (holds: {', '.join(roles) or 'none'})"
            + did_you_mean(role, roles)
        )
    if approver.lower() == requester.lower():
        problems.append(f"{approver} requested this intent and may not approve it")
    return problems


__all__ = ["approval_refusals", "did_you_mean", "unknown_rings"]
