"""The load step: a revision's commit tree exported, its documents loaded and checked.

First in the flow (fetch → **load** → evaluate → …). :func:`open_revision` is public so a
caller that needs the documents before the pass (the operator materializing intents,
``eucora plan --base`` choosing the intents a change touches) loads once and hands the
:class:`LoadedRevision` to :meth:`~reconciler.engine.Reconciler.reconcile_loaded`; the
pass never loads again. :func:`refuse_unusable` is the pass's own check: any error
finding refuses the whole revision (nothing half-applied).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reconciler.domain.errors import InvalidRepositoryError
from reconciler.domain.loader import LoadResult, load_repo
from reconciler.domain.models import FleetRepo
from reconciler.domain.ports import Revision
from reconciler.engine._trusted import read_policy_files
from reconciler.gitops import CommittedTree, committed_tree


@dataclass(frozen=True, slots=True)
class LoadedRevision:
    """A revision as its commit holds it: the exported tree and what the loader found."""

    revision: Revision
    tree: CommittedTree
    result: LoadResult
    #: the revision's own ``policies/*.rego`` as loaded (None: no ``policies/``); a pass
    #: may put the trusted set into the tree, so later passes over a held tree judge these
    policy_files: Mapping[str, str] | None = None

    @property
    def root(self) -> Path:
        """The exported commit tree the pass reads every file from."""
        return self.tree.root

    @property
    def repo(self) -> FleetRepo:
        return self.result.repo


@contextmanager
def open_revision(revision: Revision) -> Iterator[LoadedRevision]:
    """The revision's commit tree, exported for as long as the block runs, and loaded.
    Findings are kept, not raised: the pass refuses an unusable revision itself."""
    with committed_tree(Path(revision.path), revision.commit) as tree:
        loaded = load_repo(tree.root)
        yield LoadedRevision(revision, tree, loaded, read_policy_files(tree.root))


def refuse_unusable(loaded: LoadedRevision) -> None:
    """Refuse the revision on any error finding of its documents, or without a
    FleetConfig and its active risk model."""
    result = loaded.result
    errors = result.errors
    if errors:
        first = errors[0]
        where = loaded.revision.commit[:12] or loaded.revision.path
        raise InvalidRepositoryError(
            f"{len(errors)} error(s) in the fleet repo at {where}; "
            f"first: {first.location}: {first.message}",
            result.findings,
        )
    if result.repo.fleet is None or result.repo.risk_model is None:
        raise InvalidRepositoryError(
            "the fleet repo has no FleetConfig or its active risk model", result.findings
        )
