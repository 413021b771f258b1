"""A circuit breaker per tenant and service.

A small class rather than a library: the candidates (pybreaker, aiobreaker, purgatory) are
either synchronous, unmaintained or bring storage back ends we do not need, and the
behaviour wanted is a dozen lines — open after ``failure_threshold`` consecutive transient
failures, refuse calls for ``reset_timeout`` seconds, then let one trial call through
(half-open): success closes, failure opens again. The clock is injectable for tests.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

from reconciler.domain.errors import CircuitOpenError


class CircuitState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at >= self.reset_timeout:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    def before_call(self) -> None:
        """Raises CircuitOpenError while open; lets one trial through when half-open."""
        state = self.state
        if state is CircuitState.OPEN or (state is CircuitState.HALF_OPEN and self._trial):
            opened = self._opened_at if self._opened_at is not None else self._clock()
            wait = self.reset_timeout - (self._clock() - opened)
            raise CircuitOpenError(
                f"circuit {self.name} is open after {self._failures} failures",
                service=self.name,
                retry_after=max(wait, 1.0),
            )
        if state is CircuitState.HALF_OPEN:
            self._trial = True

    def success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial = False

    def failure(self) -> None:
        self._failures += 1
        self._trial = False
        if self._failures >= self.failure_threshold or self._opened_at is not None:
            self._opened_at = self._clock()
