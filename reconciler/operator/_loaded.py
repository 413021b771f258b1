"""A fetched revision loaded once, from its commit tree (never the work tree), and held.

The same load result (the engine's :class:`~reconciler.engine.LoadedRevision`) gives a
source's DeploymentIntent objects and is handed on to its passes
(:meth:`~reconciler.engine.Reconciler.reconcile_loaded`), which never load it again.
:class:`HeldRevision` keeps the exported commit tree of the source's newest revision until
the next fetch replaces it (or the source goes), so the passes read the files of the very
tree the objects were made from.
"""

from __future__ import annotations

import contextlib

from reconciler.domain.errors import InvalidRepositoryError
from reconciler.domain.ports import Revision
from reconciler.engine import LoadedRevision, open_revision

__all__ = ["HeldRevision", "LoadedRevision"]


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
