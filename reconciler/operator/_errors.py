"""The one place engine and adapter errors become kopf retry decisions."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import kopf

from reconciler.domain.errors import EucoraError


@contextlib.contextmanager
def kopf_errors(on_error: Callable[[EucoraError], None] | None = None) -> Iterator[None]:
    """Transient errors retry after their hint; everything else of ours is permanent.

    ``on_error`` sees the error first, e.g. to set a condition from its ``reason``.
    """
    try:
        yield
    except EucoraError as exc:
        if on_error is not None:
            on_error(exc)
        delay = exc.requeue_after
        if delay is not None:
            raise kopf.TemporaryError(str(exc), delay=delay) from exc
        raise kopf.PermanentError(str(exc)) from exc
