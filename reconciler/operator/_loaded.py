"""A fetched revision loaded once, from its commit tree (never the work tree), and held.

The same load result gives a source's DeploymentIntent objects and is handed on to its
passes. :class:`HeldRevision` keeps the exported commit tree of the source's newest
revision until the next fetch replaces it (or the source goes), so the passes read the
files of the very tree the objects were made from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reconciler.domain.errors import InvalidRepositoryError
from reconciler.domain.loader import LoadResult, load_repo
from reconciler.domain.models import FleetRepo
from reconciler.domain.ports import Revision
from reconciler.gitops import CommittedTree, committed_tree


@dataclass(frozen=True, slots=True)
class LoadedRevision:
    """A revision as its commit holds it: the exported tree and what the loader found."""

    revision: Revision
    tree: CommittedTree
    result: LoadResult

    @property
    def root(self) -> Path:
        return self.tree.root

    @property
    def repo(self) -> FleetRepo:
        return self.result.repo


@contextlib.contextmanager
def open_revision(revision: Revision) -> Iterator[LoadedRevision]:
    """The revision's commit tree, exported for as long as the block runs, and loaded."""
    with committed_tree(Path(revision.path), revision.commit) as tree:
        yield LoadedRevision(revision, tree, load_repo(tree.root))


class HeldRevision:
    """The newest loaded revision of one source, its tree exported until replaced."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self.loaded: LoadedRevision | None = None

    def load(self, revision: Revision) -> LoadedRevision:
        """Load ``revision`` (blocking: run it in a thread); any error finding refuses it
        whole and keeps the revision held before."""
        stack = contextlib.ExitStack()
        loaded = stack.enter_context(open_revision(revision))
        if not loaded.result.ok:
            stack.close()
            first = loaded.result.errors[0]
            raise InvalidRepositoryError(f"{len(loaded.result.errors)} findings, first: {first}")
        self.close()
        self._stack, self.loaded = stack, loaded
        return loaded

    def close(self) -> None:
        self._stack.close()
        self.loaded = None
