"""The gate step: the facts the gates test, then one decision per intent.

After observe, before plan. First the facts that need the tenants and the store: the
devices' check-in histories after this observation, each intent's time to compliance in
its current ring and the facts of its way back (:mod:`reconciler.domain.inputs.compliance`,
:mod:`reconciler.domain.inputs.rollback`); then
:func:`~reconciler.domain.gates.progress.decide_progress`
(admission, health, promotion; at most one ring per pass) with the pass's policy engine.
"""

from __future__ import annotations

from reconciler.domain.gates.progress import IntentProgress, decide_progress
from reconciler.domain.inputs.compliance import (
    ConnectivityConfig,
    ring_compliance,
    update_histories,
)
from reconciler.domain.inputs.rollback import build_key, rollback_facts
from reconciler.engine._context import PassContext
from reconciler.engine._records import GateFacts, ring_devices, telemetry


async def gate(ctx: PassContext) -> None:
    ctx.stored = {name: ctx.ports.store.ring(name) for name in ctx.evaluated}
    ctx.facts = gate_facts(ctx)
    ctx.progress = decisions(ctx)


def gate_facts(ctx: PassContext) -> GateFacts:
    """Check-in histories after this observation, each intent's time to compliance in
    its current ring and the facts of its way back."""
    store, fleet, managed = ctx.ports.store, ctx.fleet, ctx.managed
    before = store.device_histories()
    seen = [
        (intent, device)
        for apps in managed.values()
        for intent, observed in apps.items()
        for app in observed
        for devices in app.devices.values()
        for device in devices
    ]
    histories = update_histories(before, seen)
    changed = {k: v for k, v in histories.items() if before.get(k) != v}
    connectivity = ConnectivityConfig.from_spec(fleet.spec.get("connectivity"))
    compliance = {}
    rollback = {}
    for name, item in ctx.evaluated.items():
        stored = ctx.stored[name]
        if stored.ring is not None:
            compliance[name] = ring_compliance(
                intent=name,
                ring=stored.ring,
                since=stored.entered_at,
                devices=ring_devices(fleet, name, stored.ring, managed),
                histories=histories,
                config=connectivity,
                now=ctx.now,
            )
        rollback[name] = rollback_facts(
            intent=item.intent,
            managed=managed,
            evidence=store.rollback_evidence(build_key(item.intent)),
        )
    return GateFacts(histories, changed, compliance, rollback)


def decisions(ctx: PassContext) -> dict[str, IntentProgress]:
    result = {}
    fleet, tick = ctx.fleet, ctx.ports.tick
    for done, (name, item) in enumerate(sorted(ctx.evaluated.items()), start=1):
        stored = ctx.stored[name]
        result[name] = decide_progress(
            intent=item.intent,
            fleet=fleet,
            stored=stored,
            governance=item.governance,
            telemetry=telemetry(fleet, item.intent, stored.ring, ctx.managed),
            incidents=ctx.repo.incidents_for(name),
            policy=ctx.ports.policy,
            now=ctx.now,
            rollback=ctx.facts.rollback[name],
            compliance=ctx.facts.compliance.get(name),
        )
        tick("gate", done, len(ctx.evaluated))
    return result
