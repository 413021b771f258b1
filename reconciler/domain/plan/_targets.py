"""Ring groups and desired assignments: an app is assigned to the groups of every ring up
to its intent's current ring; a successor takes its rings from the version it supersedes,
a rollback gives them back and uninstalls the failed version."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from reconciler.domain.models import DeploymentIntent, FleetConfig
from reconciler.domain.progress import IntentProgress, Progress, rings_up_to
from reconciler.domain.tenant import Assignment, AssignmentIntent, DesiredApp, Platform, TargetKind


def ring_groups(fleet: FleetConfig, key: str | None, rings: Iterable[str]) -> list[str]:
    """The group ids of ``rings`` under ring-group ``key`` (a provider's
    ``ring_group_key``); every key's when ``key`` is None."""
    groups: list[str] = []
    for name in rings:
        ring = fleet.ring(name)
        if ring is None:
            continue
        if key is None:
            groups.extend(g for ids in ring.groups.values() for g in ids)
        else:
            groups.extend(ring.groups.get(key, ()))
    return groups


def describe_targets(fleet: FleetConfig, key: str, assignments: Iterable[Assignment]) -> str:
    """Assignments in ring terms: ``required: lab, canary; uninstall: pilot``."""
    ring_of = {g: name for name in fleet.ring_names for g in ring_groups(fleet, key, [name])}
    by_intent: dict[str, list[str]] = {}
    for assignment in assignments:
        where = ring_of.get(
            assignment.group_id or "", assignment.group_id or assignment.target.value
        )
        if assignment.target is TargetKind.EXCLUSION:
            where = f"not {where}"
        names = by_intent.setdefault(assignment.intent.value, [])
        if where not in names:
            names.append(where)
    order = {name: i for i, name in enumerate(fleet.ring_names)}
    return (
        "; ".join(
            f"{intent}: {', '.join(sorted(names, key=lambda n: order.get(n, len(order))))}"
            for intent, names in sorted(by_intent.items())
        )
        or "none"
    )


def all_ring_groups(fleet: FleetConfig, key: str) -> tuple[str, ...]:
    """Every ring's group ids under ring-group ``key``."""
    return tuple(ring_groups(fleet, key, fleet.ring_names))


def _to(groups: Iterable[str], intent: AssignmentIntent) -> list[Assignment]:
    return [Assignment(TargetKind.GROUP, g, intent) for g in groups]


def desired_assignments(
    fleet: FleetConfig,
    intents: Mapping[str, DeploymentIntent],
    progress: Mapping[str, IntentProgress],
    desired: Mapping[str, Sequence[DesiredApp]],
) -> dict[str, dict[Platform, tuple[Assignment, ...]]]:
    """The complete assignment list every intent's app should have on each platform, in
    the groups of the ring-group key of the provider that serves it."""
    required: dict[str, list[str]] = {}
    uninstall: dict[str, list[str]] = {}
    for name, state in progress.items():
        if state.state is Progress.ROLLED_BACK:
            required[name], uninstall[name] = [], list(state.reached)
        else:
            rings = list(rings_up_to(fleet, state.ring))
            drilled = [r for r in rings if r == state.drill_ring]
            required[name], uninstall[name] = [r for r in rings if r not in drilled], drilled
    for name, intent in intents.items():
        old = intent.rollout.supersedes
        successor = progress.get(name)
        if old is None or old not in required or successor is None:
            continue
        if successor.state is Progress.ROLLED_BACK:
            continue  # the old version keeps (gets back) every ring it reached
        # a rollback drill gives the drilled ring back to the old version
        taken = set(rings_up_to(fleet, successor.ring)) - {successor.drill_ring}
        required[old] = [r for r in required[old] if r not in taken]
    result: dict[str, dict[Platform, tuple[Assignment, ...]]] = {}
    for name in progress:
        result[name] = {
            app.platform: tuple(
                sorted(
                    _to(
                        ring_groups(fleet, app.group_key, required[name]), AssignmentIntent.REQUIRED
                    )
                    + _to(
                        ring_groups(fleet, app.group_key, uninstall[name]),
                        AssignmentIntent.UNINSTALL,
                    )
                )
            )
            for app in desired.get(name, ())
        }
    return result
