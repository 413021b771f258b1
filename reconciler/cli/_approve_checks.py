"""``eucora approve``'s guards: refuse unfit requests before writing, clean up after a
failed signature.

Kept apart from the approve command so that how approvals are written and signed can
change without touching these rules (:mod:`reconciler.domain.approval_request`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reconciler.cli._common import EXIT_FINDINGS, fail
from reconciler.domain.approval_request import approval_refusals, unknown_rings
from reconciler.domain.errors import EucoraError
from reconciler.domain.models import FleetRepo
from reconciler.gitops._write import identity


def refuse_unfit_approval(
    repo: Path, fleet_repo: FleetRepo, intent: str, rings: list[str], role: str | None
) -> None:
    """Exit 1 naming every reason when the git identity may not approve ``rings``."""
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
    problems = approval_refusals(
        fleet=fleet,
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
