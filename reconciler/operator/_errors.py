"""The one place engine and adapter errors become kopf retry decisions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import kopf

from reconciler.domain.errors import EucoraError


@contextlib.contextmanager
def kopf_errors() -> Iterator[None]:
    """Transient errors retry after their hint; everything else of ours is permanent."""
    try:
        yield
    except EucoraError as exc:
        delay = exc.requeue_after
        if delay is not None:
            raise kopf.TemporaryError(str(exc), delay=delay) from exc
        raise kopf.PermanentError(str(exc)) from exc
