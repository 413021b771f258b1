"""The observe step: one snapshot per tenant, read concurrently.

After evaluate, before gate. A failed observe fails the pass (nothing is decided on a
partial view). The managed apps by platform and intent are computed here, once, for every
later step and the report.
"""

from __future__ import annotations

import asyncio

from reconciler.connectors.registry import provider
from reconciler.domain.plan import all_ring_groups
from reconciler.engine._context import PassContext
from reconciler.engine._records import platform_apps, provider_apps


async def observe(ctx: PassContext) -> None:
    """A snapshot of every provider's tenant, by provider name, each with the ring groups
    of the provider's ring-group key."""
    connectors, tick = ctx.ports.connectors, ctx.ports.tick
    tick("observe", 0, len(connectors))
    names = sorted(connectors)
    snapshots = await asyncio.gather(
        *(
            connectors[n].snapshot(list(all_ring_groups(ctx.fleet, provider(n).ring_group_key)))
            for n in names
        )
    )
    tick("observe", len(names), len(names))
    ctx.snapshots = dict(zip(names, snapshots, strict=True))
    ctx.managed_by_provider = provider_apps(ctx.snapshots)
    ctx.managed = platform_apps(ctx.snapshots, ctx.managed_by_provider)
