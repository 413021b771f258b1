"""The engine passes of one GitSource, shared by its DeploymentIntents' handlers.

One pass covers every intent of a source (one tenant snapshot, one plan), so handlers do
not each run the engine: the first handler (or the source's own timer) to find a pass
due runs it, the others wait for it on the same lock, and each intent then copies its own
report into its status. A pass is due on the pass interval, at once after a new revision
or a requested reconcile, and never while the source is suspended.

Before each pass the engine's memory is topped up from the intents' statuses (the newer
record wins), so a replica taking over from another carries on where that one stopped.
The first pass of a process also checks the audit log against the head the source's
status recorded (``audit_anchor``): a lost or cut log is reported, not silently continued.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reconciler.domain.errors import EucoraError
from reconciler.domain.ports import Revision
from reconciler.engine import (
    IntentReport,
    IntentState,
    LoadedRevision,
    MemoryStateStore,
    PassResult,
    Reconciler,
    verify_audit_log,
)
from reconciler.operator._metrics import record_failure, record_pass
from reconciler.operator._status import PassInfo, state_from_status

#: the statuses of a source's DeploymentIntents, by intent name
StatusLister = Callable[[], Awaitable[Mapping[str, Mapping[str, Any]]]]
#: the engine for a revision (built on first use, so a source without a tenant still
#: materializes its intents and fails only its passes)
EngineFor = Callable[[Revision], Awaitable[Reconciler]]


@dataclass(frozen=True, slots=True)
class PassOutcome:
    """One finished (or failed) pass."""

    info: PassInfo
    result: PassResult | None = None
    error: EucoraError | None = None
    states: Mapping[str, IntentState] = field(default_factory=dict)
    #: ``{"head": sha256, "records": n}`` of the audit log after the pass
    audit: Mapping[str, Any] | None = None

    def report(self, intent: str) -> IntentReport | None:
        if self.result is None:
            return None
        return next((r for r in self.result.intents if r.name == intent), None)


class SourcePasses:
    def __init__(
        self,
        *,
        interval: float,
        statuses: StatusLister,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
        audit_anchor: str | None = None,
    ) -> None:
        self.interval = interval
        self.store = MemoryStateStore()
        self.suspended = False
        self.latest: PassOutcome | None = None
        self.passes = 0
        self._statuses = statuses
        self._clock = clock
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._engine_for: EngineFor | None = None
        self._loaded: LoadedRevision | None = None
        self._started = -float("inf")
        self._requested = True
        #: the audit head the source's status recorded, checked once by the first pass
        self.audit_anchor = audit_anchor
        #: what that check found wrong, until the source's handler reports it
        self.audit_problem: str | None = None

    def update(self, engine_for: EngineFor, loaded: LoadedRevision) -> None:
        """The engine and (loaded) revision of the next passes; a new revision is due at
        once."""
        if self._loaded is None or loaded.revision.commit != self._loaded.revision.commit:
            self._requested = True
        self._engine_for, self._loaded = engine_for, loaded

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """No pass runs meanwhile (a fetch rewrites the checkout a pass reads)."""
        async with self._lock:
            yield

    def request(self) -> None:
        self._requested = True

    @property
    def due(self) -> bool:
        return (
            self._engine_for is not None
            and self._loaded is not None
            and not self.suspended
            and (self._requested or self._monotonic() - self._started >= self.interval)
        )

    async def run_if_due(self) -> PassOutcome | None:
        async with self._lock:
            if self.due:
                self.latest = await self._run()
        return self.latest

    async def outcome_for(self, seen: str | None) -> PassOutcome | None:
        """The newest pass, after running one if due; ``None`` if ``seen`` is the newest."""
        latest = await self.run_if_due()
        if latest is None or latest.info.id == seen:
            return None
        return latest

    async def _run(self) -> PassOutcome:
        assert self._engine_for is not None and self._loaded is not None  # noqa: S101 (due)
        loaded = self._loaded
        revision = loaded.revision
        self._started, self._requested = self._monotonic(), False
        self.passes += 1
        pass_id, at = uuid.uuid4().hex[:12], self._clock()
        try:
            for name, status in (await self._statuses()).items():
                state = state_from_status(status)
                if state is not None:
                    self.store.restore(name, state)
            engine = await self._engine_for(revision)
            await self._check_audit(engine)
            result = await engine.reconcile_loaded(loaded)
        except EucoraError as error:
            record_failure(error.reason)
            return PassOutcome(PassInfo(pass_id, at, revision.commit), error=error)
        record_pass(result)
        states = {
            report.name: state
            for report in result.intents
            if (state := self.store.export(report.name)) is not None
        }
        audit = None
        if engine.audit is not None:
            audit = {"head": engine.audit.head, "records": engine.audit.records}
        info = PassInfo(pass_id, result.at, revision.commit)
        return PassOutcome(info, result, None, states, audit)

    async def _check_audit(self, engine: Reconciler) -> None:
        anchor, self.audit_anchor = self.audit_anchor, None
        if anchor is None or engine.audit is None:
            return
        check = await asyncio.to_thread(verify_audit_log, engine.audit.path, expected_head=anchor)
        if not check.ok:
            where = f" at line {check.line}" if check.line else ""
            self.audit_problem = (
                f"audit log {check.path}{where}: {check.problem}; the status recorded head "
                f"{anchor[:12]}. New records continue from the log as it is (keep the log on "
                "a volume that outlives the pod: audit.existingClaim)"
            )
