"""Shared CLI plumbing for trust: the ``--signers`` / ``--trust-root`` options and a
governed view of a fleet repo as its HEAD commit holds it.

The trust root defaults to ``trust-root.yaml`` beside the signers file; both come from
outside the fleet repo. Without a trust root nobody holds a CAB role and no governed
document is trusted first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from reconciler.cli._common import EXIT_FINDINGS, fail
from reconciler.compose import git_provenance
from reconciler.domain.errors import EucoraError
from reconciler.domain.governance import GovernanceContext, Provenance
from reconciler.domain.governed import Resolution, resolve_governed
from reconciler.domain.loader import LoadResult, load_repo
from reconciler.domain.trust import EMPTY_TRUST, TRUST_ROOT_FILE, TrustRoot, load_trust_root
from reconciler.engine import StateStore, TrustMemory, read_policy_files
from reconciler.gitops import CommittedTree, SshVerifier, committed_tree
from reconciler.policy import EmbeddedEngine, load_policy_set

SignersOption = Annotated[
    Path | None,
    typer.Option(
        "--signers",
        help="Allowed signers file (git's format), supplied out of band, never from the repo.",
    ),
]
TrustRootOption = Annotated[
    Path | None,
    typer.Option(
        "--trust-root",
        help="Trust root (CAB roles, governance approvers and quorum, first-trusted "
        f"versions); default: {TRUST_ROOT_FILE} beside --signers.",
    ),
]


def trust_root(signers: Path | None, path: Path | None) -> TrustRoot:
    """The trust root named by ``--trust-root``, or the one beside the signers file."""
    if signers is not None and not signers.is_file():
        fail(f"--signers {signers}: no such file")
    if path is None and signers is not None and (signers.parent / TRUST_ROOT_FILE).is_file():
        path = signers.parent / TRUST_ROOT_FILE
    if path is None:
        return EMPTY_TRUST
    if not path.is_file():
        fail(f"--trust-root {path}: no such file")
    try:
        return load_trust_root(path)
    except EucoraError as exc:
        fail(f"{exc.reason}: {exc.message}", EXIT_FINDINGS)


@dataclass(frozen=True, slots=True)
class GovernedView:
    tree: CommittedTree
    loaded: LoadResult
    context: GovernanceContext
    resolution: Resolution


def provenance(tree: CommittedTree, signers: Path | None) -> Provenance:
    return git_provenance(signers)(tree.fleet, tree.commit)


@contextmanager
def governed_view(
    repo: Path,
    signers: Path | None,
    trust: TrustRoot,
    now: datetime,
    state: Path | None = None,
) -> Iterator[GovernedView]:
    """The repo as HEAD's tree holds it, judged with the out-of-band trust (and what a
    state store remembers, when given)."""
    if not repo.is_dir():
        fail(f"fleet repo {str(repo)!r} is not a directory")
    memory = TrustMemory()
    if state is not None:
        store = StateStore(state)
        try:
            memory = TrustMemory.load(store)
        finally:
            store.close()
    with committed_tree(repo) as tree:
        loaded = load_repo(tree.root)
        context = GovernanceContext(
            provenance=provenance(tree, signers),
            verifier=SshVerifier(signers),
            trust=trust,
            first_seen=memory.first_seen,
            withdrawn=memory.withdrawn,
            # the built-in CAB decision (repo policies cannot change it) the gate includes
            policy=EmbeddedEngine(load_policy_set()),
        )
        resolution = resolve_governed(
            loaded.repo, memory.trusted, context, now, policy_files=read_policy_files(tree.root)
        )
        yield GovernedView(tree, loaded, context, resolution)


def pending_json(resolution: Resolution) -> list[dict[str, Any]]:
    return [p.to_dict() for p in resolution.pending]
