"""The observe step: one snapshot per tenant, read concurrently.

After evaluate, before gate. A failed observe fails the pass (nothing is decided on a
partial view). The managed apps by platform and intent are computed here, once, for every
later step and the report.
"""

from __future__ import annotations

import asyncio

from reconciler.domain.plan import all_ring_groups
from reconciler.engine._context import PassContext
from reconciler.engine._records import managed_apps


async def observe(ctx: PassContext) -> None:
    connectors, tick = ctx.ports.connectors, ctx.ports.tick
    tick("observe", 0, len(connectors))
    platforms = sorted(connectors)
    snapshots = await asyncio.gather(
        *(connectors[p].snapshot(list(all_ring_groups(ctx.fleet, p))) for p in platforms)
    )
    tick("observe", len(platforms), len(platforms))
    ctx.snapshots = dict(zip(platforms, snapshots, strict=True))
    ctx.managed = managed_apps(ctx.snapshots)
