"""The steps of a pass after load, in the order of the flow.

Each step is one ``async`` function over the :class:`~reconciler.engine._context.PassContext`
that reads what the steps before it recorded and records its own result;
:class:`~reconciler.engine.Reconciler` runs them in this order. Steps marked ``writes``
change the tenants, the state store or the audit log and are skipped in a dry run.
Adding a step is one function and one line here (``docs/engine.md`` shows one).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from reconciler.connectors.registry import words
from reconciler.domain.plan import build_plan
from reconciler.engine._apply import apply
from reconciler.engine._context import PassContext
from reconciler.engine._evaluate import evaluate
from reconciler.engine._gate import gate
from reconciler.engine._observe import observe
from reconciler.engine._record import record, record_pass


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    run: Callable[[PassContext], Awaitable[None]]
    #: changes a tenant, the store or the audit log: skipped in a dry run
    writes: bool = False


async def plan(ctx: PassContext) -> None:
    """Desired assignments, drift against what was applied, orphans, apply order."""
    ctx.applied = ctx.ports.store.applied()
    ctx.plan = build_plan(
        fleet=ctx.fleet,
        intents=ctx.intents,
        desired={name: e.desired for name, e in ctx.evaluated.items()},
        progress=ctx.progress,
        managed=ctx.managed_by_provider,
        snapshots=ctx.snapshots,
        applied=ctx.applied,
        protected=ctx.resolution.protected,
        words=words(),
    )


STEPS: tuple[Step, ...] = (
    Step("evaluate", evaluate),
    Step("observe", observe),
    Step("gate", gate),
    Step("plan", plan),
    Step("record", record, writes=True),
    Step("apply", apply, writes=True),
    Step("record-pass", record_pass, writes=True),
)
