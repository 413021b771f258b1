"""A fetched revision loaded once, from its commit tree (never the work tree).

The same load result gives a source's DeploymentIntent objects and is handed on to its
passes, so a revision is read and validated once per fetch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.domain.errors import InvalidRepositoryError
from reconciler.domain.loader import LoadResult, load_repo
from reconciler.domain.models import FleetRepo
from reconciler.domain.ports import Revision
from reconciler.gitops import committed_tree


@dataclass(frozen=True, slots=True)
class LoadedRevision:
    revision: Revision
    result: LoadResult

    @property
    def repo(self) -> FleetRepo:
        return self.result.repo


def load_revision(revision: Revision) -> LoadedRevision:
    """Load ``revision`` as its commit holds it; any error finding refuses it whole."""
    with committed_tree(Path(revision.path), revision.commit) as tree:
        result = load_repo(tree.root)
    if not result.ok:
        first = result.errors[0]
        raise InvalidRepositoryError(f"{len(result.errors)} findings, first: {first}")
    return LoadedRevision(revision, result)
