"""The plan step: every intent's decision and app writes, the orphans, the apply order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from reconciler.domain.documents.models import DeploymentIntent, FleetConfig
from reconciler.domain.gates.progress import IntentProgress, Progress
from reconciler.domain.planning.plan._actions import (
    Action,
    ActionKind,
    Applied,
    DriftItem,
    IntentPlan,
    Plan,
    Words,
)
from reconciler.domain.planning.plan._adopt import adopted_view, plan_adoption
from reconciler.domain.planning.plan._apps import plan_app
from reconciler.domain.planning.plan._order import supersedes_chains
from reconciler.domain.planning.plan._orphans import orphans
from reconciler.domain.planning.plan._targets import desired_assignments
from reconciler.domain.tenant import (
    AssignmentIntent,
    DesiredApp,
    ObservedApp,
    Platform,
    TenantSnapshot,
)

#: managed apps by provider and intent (the engine's observe step computes them once)
Managed = Mapping[str, Mapping[str, Sequence[ObservedApp]]]


def build_plan(
    *,
    fleet: FleetConfig,
    intents: Mapping[str, DeploymentIntent],
    desired: Mapping[str, Sequence[DesiredApp]],
    progress: Mapping[str, IntentProgress],
    managed: Managed,
    snapshots: Mapping[str, TenantSnapshot],
    applied: Mapping[tuple[str, Platform], Applied],
    protected: frozenset[str] = frozenset(),
    words: Words | None = None,
) -> Plan:
    """Every action needed to make the tenants match Git for this pass's ring decisions.
    ``managed`` holds the snapshots' managed apps by provider and intent; ``protected``
    intents (CAB-governed, removed without an approved retirement) are never pruned;
    ``words`` are the providers' words for describing actions."""
    wanted = desired_assignments(fleet, intents, progress, desired)
    plans = []
    adopted: set[str] = set()
    for name in sorted(progress):
        intent, state = intents[name], progress[name]
        decision = _decision_action(state)
        actions = [decision] if decision is not None else []
        drift: list[DriftItem] = []
        for platform in Platform:
            app = next((a for a in desired.get(name, ()) if a.platform is platform), None)
            if app is None:
                continue
            if app.provider not in snapshots:
                actions.append(_not_connected(app))
                continue
            observed = [a for a in managed[app.provider].get(name, []) if a.platform is platform]
            if not observed:
                adoption = plan_adoption(app, intent.adopt, snapshots[app.provider].unmanaged())
                if adoption.finding is not None:
                    actions.append(adoption.finding)
                    continue
                if adoption.adopt is not None and adoption.observed is not None:
                    in_ring = any(
                        a.intent is AssignmentIntent.REQUIRED for a in wanted[name][platform]
                    )
                    if state.state is Progress.SUSPENDED or not in_ring:
                        continue  # taken over when the gate lets the intent into a ring
                    actions.append(adoption.adopt)
                    adopted.add(adoption.observed.id)
                    observed = [adopted_view(app, adoption.observed)]
            app_plan = plan_app(
                fleet=fleet,
                app=app,
                observed=observed,
                want=wanted[name][platform],
                previous=applied.get((name, platform)),
                policy=intent.rollout.drift_policy,
                writable=state.state is not Progress.SUSPENDED,
            )
            actions += app_plan.actions
            drift += app_plan.drift
        worded = tuple(_worded(a, words or {}) for a in actions)
        plans.append(IntentPlan(name, worded, tuple(drift), wanted[name]))
    return Plan(
        tuple(plans),
        tuple(
            _worded(a, words or {})
            for a in orphans(fleet, intents, desired, snapshots, protected)
            if a.app_id not in adopted
        ),
        supersedes_chains(intents),
    )


def _not_connected(app: DesiredApp) -> Action:
    """A package whose provider has no tenant configured: reported on every pass, so a
    missing Secret or tenant-file section is visible rather than a silent no-op."""
    return Action(
        ActionKind.NOT_CONNECTED,
        app.intent,
        f"the {app.platform.value} package is for provider {app.provider!r}, which has no "
        "tenant configured; nothing is written for it until its settings are given",
        app.platform,
        provider=app.provider,
    )


def _worded(action: Action, words: Words) -> Action:
    """The action with its provider and that provider's words for its kind."""
    provider = action.provider or (action.app.provider if action.app is not None else None)
    if provider is None:
        return action
    what = words.get(provider, {}).get(action.kind.value, "")
    return replace(action, provider=provider, what=what)


def _decision_action(progress: IntentProgress) -> Action | None:
    gate = progress.last_gate
    name, reason = progress.intent, progress.reason
    match progress.state:
        case Progress.PROGRESSING:
            return Action(ActionKind.PROMOTE, name, reason, ring=progress.ring, gate=gate)
        case Progress.HOLDING | Progress.NOT_STARTED:
            target = gate.ring if gate is not None else progress.ring
            return Action(ActionKind.HOLD, name, reason, ring=target, gate=gate)
        case Progress.BLOCKED:
            return Action(ActionKind.BLOCK, name, reason, ring=progress.ring, gate=gate)
        case Progress.ROLLED_BACK:
            return Action(ActionKind.ROLLBACK, name, reason, ring=progress.ring, gate=gate)
        case _:
            return None
