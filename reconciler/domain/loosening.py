"""Does a new version of a governed document loosen anything compared with the trusted one?

Pure comparisons used by :mod:`reconciler.domain.governed`. Each returns the list of
loosenings in words; an empty list means the change only tightens (or changes nothing
that reaches devices) and may act at once. Whatever is not known to be neutral or
tightening counts as loosening: fail closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.domain.digest import plain
from reconciler.domain.models import (
    DEFAULT_QUORUM,
    BlastRadius,
    FleetConfig,
    Incident,
    RiskModel,
    Severity,
)

_GATES = (
    ("min_success_rate", "minSuccessRate"),
    ("min_devices", "minDevices"),
    ("soak_hours", "soakHours"),
    ("halt_below_success_rate", "haltBelowSuccessRate"),
)


def fleet_loosenings(old: FleetConfig, new: FleetConfig) -> list[str]:
    found: list[str] = []
    if new.risk_model != old.risk_model:
        found.append(f"activates risk model {new.risk_model!r} (trusted: {old.risk_model!r})")
    if new.maturity_level > old.maturity_level:
        found.append(f"raises trustMaturity.level {old.maturity_level} → {new.maturity_level}")
    found += _ring_loosenings(old, new)
    names = new.ring_names
    first_old = names.index(old.cab.first_ring) if old.cab.first_ring in names else -1
    first_new = names.index(new.cab.first_ring) if new.cab.first_ring in names else len(names)
    if first_old < 0 or first_new > first_old:
        found.append(f"moves cab.firstRing {old.cab.first_ring} → {new.cab.first_ring}")
    for blast in BlastRadius:
        before = old.cab.quorum.get(blast, DEFAULT_QUORUM.get(blast, 1))
        after = new.cab.quorum.get(blast, DEFAULT_QUORUM.get(blast, 1))
        if after < before:
            found.append(f"lowers cab.quorum.{blast.value} {before} → {after}")
        dropped = set(old.cab.required_roles.get(blast, ())) - set(
            new.cab.required_roles.get(blast, ())
        )
        if dropped:
            found.append(f"removes cab.requiredRoles.{blast.value} {', '.join(sorted(dropped))}")
    windows = {w.name: w for w in new.freeze_windows}
    for window in old.freeze_windows:
        kept = windows.get(window.name)
        if kept is None:
            found.append(f"removes freeze window {window.name!r}")
        elif (
            kept.start > window.start
            or kept.end < window.end
            or (kept.rings and (not window.rings or not set(window.rings) <= set(kept.rings)))
        ):
            found.append(f"shortens or narrows freeze window {window.name!r}")
    if new.prune and not old.prune:
        found.append("turns prune on (managed apps of removed intents get deleted)")
    if dict(new.providers) != dict(old.providers):
        found.append(
            f"changes the providers {dict(old.providers)} → {dict(new.providers)} "
            "(another MDM installs the fleet's apps)"
        )
    return found


def _ring_loosenings(old: FleetConfig, new: FleetConfig) -> list[str]:
    if new.ring_names != old.ring_names:
        return [f"changes the rings {list(old.ring_names)} → {list(new.ring_names)}"]
    found = []
    for before, after in zip(old.rings, new.rings, strict=True):
        added = {
            group
            for key, groups in after.groups.items()
            for group in set(groups) - set(before.groups.get(key, ()))
        }
        if added:
            found.append(f"adds group(s) {', '.join(sorted(added))} to ring {after.name!r}")
        for attribute, field_name in _GATES:
            was, now = getattr(before.gates, attribute), getattr(after.gates, attribute)
            if was is not None and (now is None or now < was):
                found.append(f"loosens {after.name}.gates.{field_name} {was} → {now}")
    return found


def risk_model_loosenings(old: RiskModel, new: RiskModel) -> list[str]:
    """A risk model may only lower thresholds without approval; anything else in its
    factors, classifier or maturity criteria changes scores and counts as loosening."""
    found = []
    if _scoring(old.spec) != _scoring(new.spec):
        found.append(f"changes risk model {new.name!r} factors, classifier or maturity criteria")
    if new.exception_threshold > old.exception_threshold:
        found.append(
            f"raises exceptionThreshold {old.exception_threshold:g} → {new.exception_threshold:g}"
        )
    for level in old.maturity_levels:
        after = new.maturity(level.level)
        for blast, value in level.auto_approve.items():
            raised = after is None or after.auto_approve.get(blast, 0.0) > value
            if raised:
                found.append(f"raises autoApprove for {blast.value} at level {level.level}")
    return found


def _scoring(spec: Mapping[str, Any]) -> Any:
    kept = {k: v for k, v in spec.items() if k not in ("description", "effectiveFrom")}
    kept.pop("exceptionThreshold", None)
    kept["maturityLevels"] = [
        {k: v for k, v in m.items() if k != "autoApprove"} for m in spec.get("maturityLevels", ())
    ]
    return plain(kept)


_SEVERITY_RANK = {Severity.P1: 1, Severity.P2: 2, Severity.P3: 3, Severity.P4: 4}


def incident_loosening(old: Incident, new: Incident | None) -> str | None:
    """Closing, downgrading, re-pointing or deleting an open incident loosens."""
    if not old.is_open:
        return None
    if new is None:
        return f"deletes open incident {old.name!r}"
    if not new.is_open:
        return f"closes incident {old.name!r} ({old.status} → {new.status})"
    if _SEVERITY_RANK[new.severity] > _SEVERITY_RANK[old.severity]:
        return f"downgrades incident {old.name!r} {old.severity.value} → {new.severity.value}"
    if new.intent != old.intent:
        return f"moves incident {old.name!r} from {old.intent} to {new.intent}"
    if old.rings and (not new.rings or not set(old.rings) <= set(new.rings)):
        return f"narrows the rings of incident {old.name!r}"
    return None
