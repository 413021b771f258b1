"""One app against its tenant object: what to write, and which differences are drift.

A difference from what was last applied (:class:`~reconciler.domain.plan.Applied`) is
drift (someone changed the tenant by hand) and follows ``driftPolicy``: ``correct``
writes Git's version back, ``warn`` reports and never reverts a hand change, ``ignore``
skips it. A difference between what was applied and Git is a planned change. A suspended
intent (not ``writable``) is observed and reported, never written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.domain.models import DriftPolicy, FleetConfig
from reconciler.domain.plan._actions import Action, ActionKind, Applied, DriftItem
from reconciler.domain.plan._targets import describe_targets
from reconciler.domain.tenant import Assignment, AssignmentIntent, DesiredApp, ObservedApp


@dataclass(frozen=True, slots=True)
class AppPlan:
    """The writes one app needs, and the drift seen on it."""

    actions: tuple[Action, ...] = ()
    drift: tuple[DriftItem, ...] = ()


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


@dataclass(frozen=True, slots=True)
class _Drift:
    """How drift on one app is treated under its intent's policy."""

    app: DesiredApp
    policy: DriftPolicy
    writable: bool

    @property
    def correct(self) -> bool:
        return self.policy is DriftPolicy.CORRECT and self.writable

    def items(self, differences: Sequence[tuple[str, Any, Any]]) -> tuple[DriftItem, ...]:
        """The drift reported for these (field, observed, desired) differences."""
        if self.policy is DriftPolicy.IGNORE:
            return ()
        name, platform = self.app.intent, self.app.platform
        return tuple(
            DriftItem(name, platform, field, seen, wanted, self.policy, self.correct)
            for field, seen, wanted in differences
        )


def plan_app(
    *,
    fleet: FleetConfig,
    app: DesiredApp,
    observed: Sequence[ObservedApp],
    want: tuple[Assignment, ...],
    previous: Applied | None,
    policy: DriftPolicy,
    writable: bool,
) -> AppPlan:
    """What ``app`` needs, given the managed objects ``observed`` for it, the assignments
    it should have (``want``) and what was last applied (``previous``)."""
    drift = _Drift(app, policy, writable)
    if not observed:
        return _missing(fleet, app, want, previous, drift)
    keep = _keeper(observed)
    properties = _properties(app, observed, keep, drift)
    assignments = _assignments(fleet, app, keep, want, previous, drift)
    return AppPlan(properties.actions + assignments.actions, properties.drift + assignments.drift)


def _missing(
    fleet: FleetConfig,
    app: DesiredApp,
    want: tuple[Assignment, ...],
    previous: Applied | None,
    drift: _Drift,
) -> AppPlan:
    """No managed object: create it (new in Git, or deleted outside Git and corrected)."""
    if not any(a.intent is AssignmentIntent.REQUIRED for a in want):
        return AppPlan()  # nothing to install (not in a ring yet, or only uninstalls left)
    name, platform = app.intent, app.platform
    deleted = previous is not None and previous.digest == app.digest
    seen = drift.items([("app", "deleted", app.display_name)]) if deleted else ()
    if (deleted and not drift.correct) or (not deleted and not drift.writable):
        return AppPlan((), seen)
    reason = "app deleted outside Git; recreating" if deleted else "new in Git"
    return AppPlan(
        (
            Action(ActionKind.CREATE_APP, name, reason, platform, app=app, drift=deleted),
            Action(ActionKind.UPLOAD_CONTENT, name, reason, platform, app=app, drift=deleted),
            Action(
                ActionKind.SET_ASSIGNMENTS, name, reason, platform, app=app, assignments=want,
                drift=deleted, targets=describe_targets(fleet, app.group_key, want),
            ),
        ),
        seen,
    )  # fmt: skip


def _properties(
    app: DesiredApp, observed: Sequence[ObservedApp], keep: ObservedApp, drift: _Drift
) -> AppPlan:
    """Duplicates deleted, a changed intent written, property drift, missing content."""
    name, platform, writable = app.intent, app.platform, drift.writable
    actions = [
        Action(
            ActionKind.DELETE_APP, name, f"duplicate of {keep.id}", platform,
            app_id=duplicate.id, app=app,
        )
        for duplicate in observed
        if duplicate is not keep and writable
    ]  # fmt: skip
    seen: tuple[DriftItem, ...] = ()
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
        seen = drift.items(differences)
        if differences and drift.correct:
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
    return AppPlan(tuple(actions), seen)


def _assignments(
    fleet: FleetConfig,
    app: DesiredApp,
    keep: ObservedApp,
    want: tuple[Assignment, ...],
    previous: Applied | None,
    drift: _Drift,
) -> AppPlan:
    """Assignments added or removed by hand are drift; a ring move is a planned change."""
    seen_set, want_set = set(keep.assignments), set(want)
    base = set(previous.assignments) if previous is not None else seen_set
    extra, missing = seen_set - base, base - seen_set
    seen = drift.items(
        [("assignment", a.describe(), "absent") for a in sorted(extra)]
        + [("assignment", "absent", a.describe()) for a in sorted(missing)]
    )
    planned = want_set != base
    target = want_set if drift.correct else (want_set - missing) | extra
    if target == seen_set or not drift.writable or not (planned or drift.correct):
        return AppPlan((), seen)
    action = Action(
        ActionKind.SET_ASSIGNMENTS,
        app.intent,
        "ring assignments changed" if planned else "assignments changed outside Git",
        app.platform,
        app_id=keep.id,
        app=app,
        assignments=tuple(sorted(target)),
        drift=not planned,
        targets=describe_targets(fleet, app.group_key, target),
    )
    return AppPlan((action,), seen)
