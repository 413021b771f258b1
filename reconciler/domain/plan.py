"""Planning: what every intent wants in each tenant, against what the tenants hold.

The ``plan`` step of a reconcile pass, after the gates (:mod:`reconciler.domain.progress`)
have said which ring each intent is in. It computes the assignments every app should have,
diffs them and the app's properties against the snapshots, classifies each difference as a
planned change (Git or a ring moved) or drift (someone changed the tenant by hand), and
lists typed :class:`Action` s, each with its reason and the gate decision behind it.

Rules (DESIGN §3):

* an app is assigned (required) to the groups of every ring up to its current ring, and to
  nothing else;
* when an intent supersedes another, its rings are taken from the old version's
  assignments (no device gets both); a rollback gives them back and sets the failed version
  to uninstall on every ring it reached;
* drift on managed objects follows ``driftPolicy``: ``correct`` writes Git's version back,
  ``warn`` reports and never reverts a hand change, ``ignore`` skips it;
* unmanaged look-alikes (no marker) are reported and never touched; a managed object whose
  intent left Git is deleted only with ``prune: true``;
* a suspended intent is observed and reported, never written.

What was last written lives in :class:`Applied` records (the state store keeps them), so a
difference to them is drift and a difference between them and Git is a planned change.
Pure: no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.domain.models import DeploymentIntent, DriftPolicy, FleetConfig, FleetRepo
from reconciler.domain.progress import GateOutcome, IntentProgress, Progress, rings_up_to
from reconciler.domain.render import detection_scripts
from reconciler.domain.tenant import (
    Assignment,
    AssignmentIntent,
    DesiredApp,
    ObservedApp,
    Platform,
    TargetKind,
    TenantSnapshot,
)


class ActionKind(enum.StrEnum):
    CREATE_APP = "create-app"
    UPLOAD_CONTENT = "upload-content"
    UPDATE_APP = "update-app"
    SET_ASSIGNMENTS = "set-assignments"
    DELETE_APP = "delete-app"
    REPORT_ORPHAN = "report-orphan"
    PROMOTE = "promote"
    HOLD = "hold"
    BLOCK = "block"
    ROLLBACK = "rollback"


#: kinds that change a tenant
WRITES = frozenset(
    {
        ActionKind.CREATE_APP,
        ActionKind.UPLOAD_CONTENT,
        ActionKind.UPDATE_APP,
        ActionKind.SET_ASSIGNMENTS,
        ActionKind.DELETE_APP,
    }
)

#: a provider's words for the writes of a plan, by action kind value, e.g.
#: ``{"create-app": "create Jamf Pro package"}`` (``reconciler.connectors.registry``)
Words = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class Applied:
    """What the reconciler last wrote for one intent on one platform."""

    digest: str
    assignments: tuple[Assignment, ...]


@dataclass(frozen=True, slots=True)
class DriftItem:
    """One difference between a managed object and what was last applied."""

    intent: str
    platform: Platform
    field: str
    observed: Any
    desired: Any
    policy: DriftPolicy
    corrected: bool

    def describe(self) -> str:
        verb = "corrected" if self.corrected else "reported"
        seen, wanted = _short(self.observed), _short(self.desired)
        return f"{self.platform.value} {self.field}: {seen} ≠ {wanted} ({verb})"


@dataclass(frozen=True, slots=True)
class Action:
    """One step of the plan: a write to a tenant or a decision worth recording."""

    kind: ActionKind
    intent: str
    reason: str
    platform: Platform | None = None
    app_id: str | None = None
    app: DesiredApp | None = None
    assignments: tuple[Assignment, ...] = ()
    ring: str | None = None
    gate: GateOutcome | None = None
    drift: bool = False
    #: for set-assignments: the assignments in ring terms, e.g. ``required: lab, canary``
    targets: str = ""
    #: the provider whose tenant the action writes or reports on
    provider: str | None = None
    #: the provider's words for this kind of action (the kind's name when it has none)
    what: str = ""

    @property
    def writes(self) -> bool:
        return self.kind in WRITES

    def describe(self) -> str:
        what = self.what or self.kind.value
        if self.kind is ActionKind.SET_ASSIGNMENTS:
            targets = self.targets or ", ".join(a.describe() for a in self.assignments)
            what = f"{what}: {targets or 'none'}"
        if self.ring:
            what = f"{what} ({self.ring})"
        return what

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "intent": self.intent,
            "platform": self.platform.value if self.platform else None,
            "appId": self.app_id,
            "ring": self.ring,
            "reason": self.reason,
            "drift": self.drift,
            "writes": self.writes,
            "assignments": [_assignment_dict(a) for a in self.assignments],
            "gate": self.gate.to_dict() if self.gate else None,
            "description": self.describe(),
        }


@dataclass(frozen=True, slots=True)
class IntentPlan:
    """The actions of one intent, in the order they must run."""

    intent: str
    actions: tuple[Action, ...]
    drift: tuple[DriftItem, ...] = ()
    #: desired assignments per platform after this plan is applied
    assignments: Mapping[Platform, tuple[Assignment, ...]] = field(default_factory=dict)

    @property
    def writes(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.writes)


@dataclass(frozen=True, slots=True)
class Plan:
    intents: tuple[IntentPlan, ...]
    #: reports about objects no intent owns (orphans, prune candidates)
    orphans: tuple[Action, ...] = ()
    #: intent names in apply order, grouped into independent supersedes chains
    order: tuple[tuple[str, ...], ...] = ()

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(a for p in self.intents for a in p.actions) + self.orphans

    @property
    def writes(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.writes)

    @property
    def drift(self) -> tuple[DriftItem, ...]:
        return tuple(d for p in self.intents for d in p.drift)

    def for_intent(self, name: str) -> IntentPlan | None:
        return next((p for p in self.intents if p.intent == name), None)

    def chains(self) -> list[list[IntentPlan]]:
        """Intent plans that write, grouped so that a superseded intent runs before its
        successor (its assignments give way first); groups are independent of each other."""
        by_name = {p.intent: p for p in self.intents if p.writes}
        groups = [[by_name[n] for n in chain if n in by_name] for chain in self.order]
        return [g for g in groups if g]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _assignment_dict(assignment: Assignment) -> dict[str, Any]:
    return {
        "target": assignment.target.value,
        "groupId": assignment.group_id,
        "intent": assignment.intent.value,
    }


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


def property_drift(app: DesiredApp, observed: ObservedApp) -> list[tuple[str, Any, Any]]:
    """Owned properties whose observed value differs from the desired one."""
    differences = []
    for key, want in app.properties.items():
        if key not in observed.properties:
            if not want or key in app.optional:
                continue  # the service omits empty values; optional ones come with a later write
            differences.append((key, None, want))
        elif observed.properties[key] != want:
            differences.append((key, observed.properties[key], want))
    return differences


def _keeper(apps: Sequence[ObservedApp]) -> ObservedApp:
    """Of several managed apps for one intent, the one to keep: content first, then oldest."""
    return sorted(apps, key=lambda a: (not a.content_ready, len(a.id), a.id))[0]


def _order(intents: Mapping[str, DeploymentIntent]) -> tuple[tuple[str, ...], ...]:
    """Supersedes chains, oldest version first; intents outside any chain stand alone."""
    successors: dict[str, list[str]] = {}
    has_predecessor: set[str] = set()
    for name in sorted(intents):
        old = intents[name].rollout.supersedes
        if old is not None and old in intents and old != name:
            successors.setdefault(old, []).append(name)
            has_predecessor.add(name)
    chains: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for root in sorted(intents):
        if root in has_predecessor or root in seen:
            continue
        chain, queue = [], [root]
        while queue:
            name = queue.pop(0)
            if name in seen:
                continue
            seen.add(name)
            chain.append(name)
            queue.extend(successors.get(name, []))
        chains.append(tuple(chain))
    chains.extend((name,) for name in sorted(intents) if name not in seen)  # cycles
    return tuple(chains)


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


def build_plan(
    *,
    fleet: FleetConfig,
    intents: Mapping[str, DeploymentIntent],
    desired: Mapping[str, Sequence[DesiredApp]],
    progress: Mapping[str, IntentProgress],
    snapshots: Mapping[str, TenantSnapshot],
    applied: Mapping[tuple[str, Platform], Applied],
    protected: frozenset[str] = frozenset(),
    words: Words | None = None,
) -> Plan:
    """Every action needed to make the tenants match Git for this pass's ring decisions.
    ``protected`` intents (CAB-governed, removed without an approved retirement) are
    never pruned; ``words`` are the providers' words for describing actions."""
    wanted = desired_assignments(fleet, intents, progress, desired)
    managed = {provider: snap.managed() for provider, snap in snapshots.items()}
    plans = []
    for name in sorted(progress):
        intent, state = intents[name], progress[name]
        actions: list[Action] = []
        drift: list[DriftItem] = []
        decision = _decision_action(state)
        if decision is not None:
            actions.append(decision)
        for platform in Platform:
            app = next((a for a in desired.get(name, ()) if a.platform is platform), None)
            if app is None or app.provider not in snapshots:
                continue
            found = [a for a in managed[app.provider].get(name, []) if a.platform is platform]
            _plan_app(
                fleet=fleet,
                app=app,
                observed=found,
                want=wanted[name][platform],
                previous=applied.get((name, platform)),
                policy=intent.rollout.drift_policy,
                writable=state.state is not Progress.SUSPENDED,
                actions=actions,
                drift=drift,
            )
        worded = tuple(_worded(a, words or {}) for a in actions)
        plans.append(IntentPlan(name, worded, tuple(drift), wanted[name]))
    return Plan(
        tuple(plans),
        tuple(
            _worded(a, words or {}) for a in _orphans(fleet, intents, desired, snapshots, protected)
        ),
        _order(intents),
    )


def _worded(action: Action, words: Words) -> Action:
    """The action with its provider and that provider's words for its kind."""
    provider = action.provider or (action.app.provider if action.app is not None else None)
    if provider is None:
        return action
    what = words.get(provider, {}).get(action.kind.value, "")
    return replace(action, provider=provider, what=what)


def _plan_app(
    *,
    fleet: FleetConfig,
    app: DesiredApp,
    observed: list[ObservedApp],
    want: tuple[Assignment, ...],
    previous: Applied | None,
    policy: DriftPolicy,
    writable: bool,
    actions: list[Action],
    drift: list[DriftItem],
) -> None:
    name, platform = app.intent, app.platform
    correct = policy is DriftPolicy.CORRECT and writable
    report = policy is not DriftPolicy.IGNORE

    def drifted(field_name: str, seen: Any, wanted_value: Any) -> None:
        if report:
            drift.append(DriftItem(name, platform, field_name, seen, wanted_value, policy, correct))

    if not observed:
        if not any(a.intent is AssignmentIntent.REQUIRED for a in want):
            return  # nothing to install (not in a ring yet, or only uninstalls left)
        deleted = previous is not None and previous.digest == app.digest
        if deleted:
            drifted("app", "deleted", app.display_name)
            if not correct:
                return
        elif not writable:
            return
        reason = "app deleted outside Git; recreating" if deleted else "new in Git"
        actions += [
            Action(ActionKind.CREATE_APP, name, reason, platform, app=app, drift=deleted),
            Action(ActionKind.UPLOAD_CONTENT, name, reason, platform, app=app, drift=deleted),
            Action(
                ActionKind.SET_ASSIGNMENTS, name, reason, platform, app=app, assignments=want,
                drift=deleted, targets=describe_targets(fleet, app.group_key, want),
            ),
        ]  # fmt: skip
        return

    keep = _keeper(observed)
    for duplicate in observed:
        if duplicate is not keep and writable:
            actions.append(
                Action(
                    ActionKind.DELETE_APP, name, f"duplicate of {keep.id}", platform,
                    app_id=duplicate.id, app=app,
                )
            )  # fmt: skip
    marker = keep.marker
    if marker is not None and marker.digest != app.digest:
        if writable:
            actions.append(
                Action(
                    ActionKind.UPDATE_APP, name, f"intent changed in Git ({app.digest[:19]})",
                    platform, app_id=keep.id, app=app,
                )
            )  # fmt: skip
    else:
        differences = property_drift(app, keep)
        for key, seen, wanted_value in differences:
            drifted(key, seen, wanted_value)
        if differences and correct:
            fields = ", ".join(key for key, _, _ in differences)
            actions.append(
                Action(
                    ActionKind.UPDATE_APP, name, f"drift in {fields}", platform,
                    app_id=keep.id, app=app, drift=True,
                )
            )  # fmt: skip
    if not keep.content_ready and writable:
        actions.append(
            Action(
                ActionKind.UPLOAD_CONTENT, name, "content not committed", platform,
                app_id=keep.id, app=app,
            )
        )  # fmt: skip

    seen_set, want_set = set(keep.assignments), set(want)
    base = set(previous.assignments) if previous is not None else seen_set
    extra, missing = seen_set - base, base - seen_set
    for assignment in sorted(extra):
        drifted("assignment", assignment.describe(), "absent")
    for assignment in sorted(missing):
        drifted("assignment", "absent", assignment.describe())
    planned = want_set != base
    target = want_set if correct else (want_set - missing) | extra
    if target != seen_set and writable and (planned or correct):
        actions.append(
            Action(
                ActionKind.SET_ASSIGNMENTS,
                name,
                "ring assignments changed" if planned else "assignments changed outside Git",
                platform,
                app_id=keep.id,
                app=app,
                assignments=tuple(sorted(target)),
                drift=not planned,
                targets=describe_targets(fleet, app.group_key, target),
            )
        )


def _orphans(
    fleet: FleetConfig,
    intents: Mapping[str, DeploymentIntent],
    desired: Mapping[str, Sequence[DesiredApp]],
    snapshots: Mapping[str, TenantSnapshot],
    protected: frozenset[str] = frozenset(),
) -> tuple[Action, ...]:
    """Reports (and prunes) of what each provider's snapshot holds that no intent wants."""
    reports: list[Action] = []
    for provider, snapshot in sorted(snapshots.items(), key=lambda i: (i[1].platform, i[0])):
        platform = snapshot.platform
        names = {
            a.display_name: a.intent
            for apps in desired.values()
            for a in apps
            if a.platform is platform and a.provider == provider
        }
        for observed in sorted(snapshot.apps, key=lambda a: a.id):
            marker = observed.marker
            if marker is None:
                if observed.display_name in names:
                    reports.append(
                        Action(
                            ActionKind.REPORT_ORPHAN,
                            names[observed.display_name],
                            f"unmanaged {observed.display_name!r} ({observed.id}) has no "
                            "ownership marker; not touched",
                            platform,
                            app_id=observed.id,
                            provider=provider,
                        )
                    )
                continue
            wanted = marker.intent in intents and any(
                a.platform is platform and a.provider == provider
                for a in desired.get(marker.intent, ())
            )
            if wanted:
                continue
            if marker.intent in protected:
                reports.append(
                    Action(
                        ActionKind.REPORT_ORPHAN, marker.intent,
                        f"managed {observed.display_name!r} ({observed.id}) belongs to a "
                        "CAB-governed intent removed from Git; kept until its retirement has "
                        "a governance approval", platform, app_id=observed.id,
                        provider=provider,
                    )
                )  # fmt: skip
            elif fleet.prune:
                reports.append(
                    Action(
                        ActionKind.DELETE_APP, marker.intent,
                        "intent removed from Git; prune is on", platform, app_id=observed.id,
                        provider=provider,
                    )
                )  # fmt: skip
            else:
                reports.append(
                    Action(
                        ActionKind.REPORT_ORPHAN, marker.intent,
                        f"managed {observed.display_name!r} ({observed.id}) belongs to no intent "
                        "in Git; set prune: true in FleetConfig to remove it", platform,
                        app_id=observed.id, provider=provider,
                    )
                )  # fmt: skip
    return tuple(reports)


def intents_touched(repo: FleetRepo, files: Iterable[str]) -> set[str]:
    """Intents a change to ``files`` (repo-relative) can affect: the intent documents
    themselves, the intents named by changed approvals, exceptions and incidents, and every
    intent when the fleet config or a risk model changed."""
    changed = set(files)
    by_file: dict[str, set[str]] = {}
    for intent in repo.intents.values():
        by_file.setdefault(intent.source.file, set()).add(intent.name)
    for approval in repo.approvals.values():
        by_file.setdefault(approval.source.file, set()).add(approval.intent)
    for exception in repo.exceptions.values():
        by_file.setdefault(exception.source.file, set()).add(exception.intent)
    for incident in repo.incidents.values():
        by_file.setdefault(incident.source.file, set()).add(incident.intent)
    shared = [repo.fleet.source.file] if repo.fleet else []
    shared += [m.source.file for m in repo.risk_models.values()]
    if changed & set(shared):
        return set(repo.intents)
    touched: set[str] = set()
    for file in changed:
        touched |= by_file.get(file, set())
    for intent in repo.intents.values():
        for script in _referenced_files(intent):
            if script in changed:
                touched.add(intent.name)
    return touched & set(repo.intents)


def _referenced_files(intent: DeploymentIntent) -> list[str]:
    packages = [p.file for p in (intent.windows, intent.macos) if p is not None]
    return [*packages, *detection_scripts(intent)]
