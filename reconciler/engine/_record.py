"""The record steps: decisions before any write, what was applied after the writes.

``record`` runs after plan and before apply: where every intent stands (ring, entered-at,
last decisions) goes into the state store, and each changed decision, ring move, rollback
and validated rollback into the audit log — so a crash mid-apply never loses why a write
was made. ``record_pass`` runs after apply: what Git wanted for each app that now exists
(the base for drift), removed intents, the last applied revision, the audit head, and the
trust memory. Neither runs in a dry run.
"""

from __future__ import annotations

from typing import Any

from reconciler.domain.plan import Applied, ring_groups
from reconciler.domain.progress import Progress, StoredRing
from reconciler.domain.rollback import build_key, observed_rollback
from reconciler.domain.tenant import Platform
from reconciler.engine._context import PassContext
from reconciler.engine._trusted import remember


async def record(ctx: PassContext) -> None:
    """Decisions and devices, before any write."""
    record_decisions(ctx)
    record_devices(ctx)


async def record_pass(ctx: PassContext) -> None:
    """What this pass applied, and what it remembers for the next."""
    store = ctx.ports.store
    for (name, platform), applied in applied_records(ctx).items():
        store.save_applied(name, platform, applied, ctx.now)
    record_removals_and_head(ctx)
    governance = {name: item.governance for name, item in ctx.evaluated.items()}
    remember(ctx.memory, ctx.loaded.repo, ctx.resolution, governance, ctx.now)
    ctx.memory.save(store)


def record_decisions(ctx: PassContext) -> None:
    """Store where every intent stands, and log each decision that changed."""
    store, audit, commit, now = ctx.ports.store, ctx.ports.audit, ctx.revision.commit, ctx.now
    for name, state in sorted(ctx.progress.items()):
        previous = ctx.stored[name]
        rolled_back = (
            ctx.repo.intents[name].digest
            if state.state is Progress.ROLLED_BACK
            else previous.rolled_back_digest
        )
        stored = StoredRing(state.ring, state.entered_at, rolled_back, state.reached)
        gate = state.last_gate
        entered = gate.to_dict() if state.moved and gate is not None else None
        store.save_ring(
            name, stored, state=state.state.value, reason=state.reason, now=now, entered=entered
        )
        for outcome in state.gates:
            detail: dict[str, Any] = outcome.to_dict()
            changed = store.save_decision(name, outcome.ring or "-", outcome.decision, detail, now)
            if changed and audit is not None:
                audit.append("decision", revision=commit, intent=name, now=now, **detail)
        if state.moved and audit is not None:
            audit.append(
                "ring-entered" if state.ring else "ring-left",
                revision=commit,
                intent=name,
                now=now,
                ring=state.ring,
                previous=state.previous_ring,
                reason=state.reason,
            )
        if (
            state.state is Progress.ROLLED_BACK
            and previous.rolled_back_digest != rolled_back
            and audit is not None
        ):
            audit.append(
                "rollback", revision=commit, intent=name, now=now,
                rings=list(state.reached), reason=state.reason,
            )  # fmt: skip


def record_devices(ctx: PassContext) -> None:
    """Keep the devices' check-in histories, and record each rollback seen to succeed
    in a ring before the first CAB ring (evidence for ``rollback-validated``)."""
    store, audit, fleet, managed = ctx.ports.store, ctx.ports.audit, ctx.fleet, ctx.managed
    store.save_device_histories(dict(ctx.facts.changed))
    for name, state in sorted(ctx.progress.items()):
        if state.state is Progress.ROLLED_BACK:
            rolled = state.reached
        elif state.drill_ring is not None:
            rolled = (state.drill_ring,)
        else:
            continue
        intent = ctx.evaluated[name].intent
        evidence = observed_rollback(
            intent=intent,
            fleet=fleet,
            reached=rolled,
            ring_groups={ring: ring_groups(fleet, None, [ring]) for ring in rolled},
            apps=[app for apps in managed.values() for app in apps.get(name, [])],
            histories=ctx.facts.histories,
            now=ctx.now,
        )
        known = store.rollback_evidence(build_key(intent))
        if evidence is None or (known is not None and known.devices >= evidence.devices):
            continue
        store.save_rollback_evidence(evidence)
        if audit is not None:
            audit.append(
                "rollback-validated", revision=ctx.revision.commit, intent=name, now=ctx.now,
                build=evidence.build, ring=evidence.ring, devices=evidence.devices,
            )  # fmt: skip


def applied_records(ctx: PassContext) -> dict[tuple[str, Platform], Applied]:
    """What Git wanted for each app that now exists, once all its writes went through,
    where it differs from what the store held when the pass began; later differences
    from it are drift."""
    outcome, changed = ctx.outcome, {}
    for intent_plan in ctx.plan.intents:
        name = intent_plan.intent
        if (
            name in outcome.errors
            or name in outcome.deferred
            or ctx.progress[name].state is Progress.SUSPENDED
        ):
            continue
        written = {a.platform for a in intent_plan.writes}
        for app in ctx.evaluated[name].desired:
            platform = app.platform
            if platform not in ctx.managed:
                continue
            if not (ctx.managed[platform].get(name) or platform in written):
                continue
            applied = Applied(app.digest, intent_plan.assignments.get(platform, ()))
            if ctx.applied.get((name, platform)) != applied:
                changed[(name, platform)] = applied
    return changed


def record_removals_and_head(ctx: PassContext) -> None:
    """Forget intents that left Git; the last applied revision (a pass without write
    errors); the pass and the audit head."""
    store, audit, commit, now = ctx.ports.store, ctx.ports.audit, ctx.revision.commit, ctx.now
    outcome = ctx.outcome
    for gone in sorted(store.intents() - set(ctx.repo.intents)):
        store.forget(gone)
        if audit is not None:
            audit.append("intent-removed", revision=commit, intent=gone, now=now)
    if not outcome.errors:
        store.set_meta("last_applied_revision", commit)
    if audit is not None:
        if outcome.writes or ctx.plan.drift:
            audit.append(
                "pass", revision=commit, now=now, writes=outcome.writes,
                errors=sum(len(e) for e in outcome.errors.values()),
                drift=len(ctx.plan.drift),
            )  # fmt: skip
        store.set_meta("audit_head", audit.head)
