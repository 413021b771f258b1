"""``eucora approve``'s guards: refuse unfit requests before writing, clean up after a
failed signature.

Kept apart from the approve command so that how approvals are written and signed can
change without touching these rules (:mod:`reconciler.domain.evaluation.approval_request`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from reconciler.cli._common import EXIT_FINDINGS, fail
from reconciler.domain.documents.models import FleetRepo
from reconciler.domain.errors import EucoraError
from reconciler.domain.evaluation.approval_request import approval_refusals, unknown_rings
from reconciler.domain.evaluation.trust import TrustRoot
from reconciler.gitops import identity


def refuse_unfit_approval(
    repo: Path,
    fleet_repo: FleetRepo,
    intent: str,
    rings: list[str],
    role: str | None,
    trust: TrustRoot | None,
) -> None:
    """Exit 1 naming every reason when the git identity may not approve ``rings``.

    Who holds which role comes from the trust root when one is given (``--signers`` /
    ``--trust-root``): it alone decides whether the approval will count. Without one, the
    list in fleet.yaml stands in, only to catch a typo before anything is committed."""
    fleet = fleet_repo.fleet
    if fleet is None:
        fail(f"{repo}: no valid FleetConfig (run `eucora validate`)", EXIT_FINDINGS)
    if not rings:
        fail("--rings names no ring")
    unknown = unknown_rings(rings, fleet)
    if unknown:
        fail("; ".join(unknown))
    try:
        _, approver = identity(repo)
    except EucoraError as exc:
        fail(exc.message, EXIT_FINDINGS)
    if trust is not None:
        members: Mapping[str, tuple[str, ...]] = trust.members
        source = f"the trust root {trust.source}".rstrip()
    else:
        members = {m.principal: tuple(m.roles) for m in fleet.cab.members}
        source = "fleet.yaml (spec.cab.members; pass --signers so the trust root decides)"
    problems = approval_refusals(
        members=members,
        source=source,
        approver=approver,
        role=role,
        requester=fleet_repo.intents[intent].requester,
    )
    if problems:
        fail(
            "refused, nothing written: " + "; ".join(problems),
            EXIT_FINDINGS,
            reason="ApprovalRefused",
            problems=problems,
        )


@contextmanager
def removed_on_failure(path: Path) -> Iterator[None]:
    """Remove ``path`` again if what follows fails, unless it was there before."""
    existed = path.exists()
    try:
        yield
    except BaseException:
        if not existed:
            path.unlink(missing_ok=True)
        raise
