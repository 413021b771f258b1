"""Write budget: stay under Intune's documented limit of 100 writes per 20 s per app and tenant.

A sliding window; ``acquire`` waits until a slot is free instead of letting Graph answer
429. One call may take several slots: Graph evaluates each request inside a ``$batch``
against the limits on its own. Clock and sleep are injectable for tests.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable


class WriteBudget:
    def __init__(
        self,
        writes: int = 100,
        per_seconds: float = 20.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.writes = writes
        self.per_seconds = per_seconds
        self._clock = clock
        self._sleep = sleep
        self._stamps: deque[float] = deque()
        self._lock = asyncio.Lock()
        self.waited = 0.0

    async def acquire(self, slots: int = 1) -> None:
        """Wait until ``slots`` requests fit in the window (at most the whole window)."""
        slots = max(1, min(slots, self.writes))
        async with self._lock:
            while True:
                now = self._clock()
                while self._stamps and now - self._stamps[0] >= self.per_seconds:
                    self._stamps.popleft()
                if len(self._stamps) + slots <= self.writes:
                    self._stamps.extend([now] * slots)
                    return
                needed = len(self._stamps) + slots - self.writes
                delay = self.per_seconds - (now - self._stamps[needed - 1])
                self.waited += delay
                await self._sleep(delay)
