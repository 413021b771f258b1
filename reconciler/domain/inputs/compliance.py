"""Time to compliance: how fast the devices of a ring reached the desired state.

Computed in the ``gate`` step; it sits in ``domain/inputs/`` because the promotion policy's
input carries it (:mod:`.policy_input`). Each device is put in a connectivity class from its
check-in history (the longest gap between two check-ins the engine saw, or the time since
the last one if that is longer): *online*, *intermittent* or *air-gapped*, with the
thresholds of the FleetConfig's ``spec.connectivity``. Each class has a target (defaults
from the original design: 24 h, 72 h, 7 days). For the ring an intent is in,
:func:`ring_compliance` counts per class the targeted devices that reached the desired state
within their class's target since the ring was entered (*compliant*), those that have not
yet but whose window is still open (*open*) and those whose window closed first (*missed*).
The ``time-to-compliance`` policy decides on these counts; nothing here decides.

Pure: check-in history is kept by the engine's state store and passed in; ``now`` is
explicit.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from reconciler.domain.tenant import DeviceInstall


class Connectivity(enum.StrEnum):
    """How well a device stays in touch with its MDM, from least to most disconnected."""

    ONLINE = "online"
    INTERMITTENT = "intermittent"
    AIR_GAPPED = "airGapped"


#: targets of the original design: ≤ 24 h online, ≤ 72 h intermittent, ≤ 7 days air-gapped
DEFAULT_TARGET_HOURS: Mapping[Connectivity, float] = MappingProxyType(
    {Connectivity.ONLINE: 24.0, Connectivity.INTERMITTENT: 72.0, Connectivity.AIR_GAPPED: 168.0}
)


@dataclass(frozen=True, slots=True)
class ConnectivityConfig:
    """``spec.connectivity`` of the FleetConfig.

    A device whose check-in gap stays within ``online_within_hours`` is online, within
    ``intermittent_within_hours`` intermittent, beyond that air-gapped.
    """

    online_within_hours: float = 24.0
    intermittent_within_hours: float = 72.0
    target_hours: Mapping[Connectivity, float] = field(default_factory=lambda: DEFAULT_TARGET_HOURS)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> ConnectivityConfig:
        spec = spec or {}
        targets = dict(DEFAULT_TARGET_HOURS)
        for name, hours in (spec.get("targetHours") or {}).items():
            targets[Connectivity(name)] = float(hours)
        return cls(
            float(spec.get("onlineWithinHours", 24.0)),
            float(spec.get("intermittentWithinHours", 72.0)),
            MappingProxyType(targets),
        )

    def classify(self, gap_hours: float) -> Connectivity:
        if gap_hours <= self.online_within_hours:
            return Connectivity.ONLINE
        if gap_hours <= self.intermittent_within_hours:
            return Connectivity.INTERMITTENT
        return Connectivity.AIR_GAPPED


@dataclass(frozen=True, slots=True)
class CheckInHistory:
    """What the engine remembers of one device between passes.

    ``reached`` holds, per intent, the earliest time the device was seen in the desired
    state (a vendor's own timestamp when it gives one, else the check-in that reported it).
    """

    last_check_in: datetime | None = None
    longest_gap_hours: float = 0.0
    reached: Mapping[str, datetime] = field(default_factory=lambda: MappingProxyType({}))

    def gap_hours(self, now: datetime) -> float:
        """The gap that classifies the device: the longest seen, or the current one."""
        if self.last_check_in is None:
            return float("inf")
        current = max((now - self.last_check_in) / timedelta(hours=1), 0.0)
        return max(self.longest_gap_hours, current)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lastCheckIn": self.last_check_in.isoformat() if self.last_check_in else None,
            "longestGapHours": self.longest_gap_hours,
            "reached": {k: v.isoformat() for k, v in sorted(self.reached.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckInHistory:
        last = data.get("lastCheckIn")
        return cls(
            datetime.fromisoformat(last) if last else None,
            float(data.get("longestGapHours", 0.0)),
            MappingProxyType(
                {k: datetime.fromisoformat(v) for k, v in (data.get("reached") or {}).items()}
            ),
        )


def observe_check_in(
    history: CheckInHistory | None,
    last_check_in: datetime | None,
    reached: Mapping[str, datetime] | None = None,
) -> CheckInHistory:
    """``history`` after seeing the device's latest check-in and desired-state times."""
    history = history or CheckInHistory()
    gap = history.longest_gap_hours
    latest = history.last_check_in
    if last_check_in is not None:
        if latest is not None and last_check_in > latest:
            gap = max(gap, (last_check_in - latest) / timedelta(hours=1))
        if latest is None or last_check_in > latest:
            latest = last_check_in
    merged = dict(history.reached)
    for intent, moment in (reached or {}).items():
        merged[intent] = min(moment, merged.get(intent, moment))
    return replace(
        history, last_check_in=latest, longest_gap_hours=gap, reached=MappingProxyType(merged)
    )


def update_histories(
    previous: Mapping[str, CheckInHistory],
    devices: Iterable[tuple[str, DeviceInstall]],
) -> dict[str, CheckInHistory]:
    """Histories after a pass observed ``devices`` (``(intent, device)`` pairs); devices not
    seen keep what they had."""
    result = dict(previous)
    for intent, device in devices:
        held = result.get(device.device)
        if held is not None and _nothing_new(held, intent, device):
            continue
        reached = {intent: device.reached_at} if device.reached_at is not None else None
        result[device.device] = observe_check_in(held, device.last_check_in, reached)
    return result


def _nothing_new(held: CheckInHistory, intent: str, device: DeviceInstall) -> bool:
    """Whether ``device`` tells ``held`` nothing it does not know (the common case)."""
    if device.last_check_in is not None and (
        held.last_check_in is None or device.last_check_in > held.last_check_in
    ):
        return False
    if device.reached_at is None:
        return True
    known = held.reached.get(intent)
    return known is not None and known <= device.reached_at


@dataclass(frozen=True, slots=True)
class ClassCompliance:
    connectivity: Connectivity
    target_hours: float
    targeted: int = 0
    compliant: int = 0
    open: int = 0
    missed: int = 0

    def to_input(self, since: datetime | None) -> dict[str, Any]:
        ends = since + timedelta(hours=self.target_hours) if since else None
        return {
            "targetHours": self.target_hours,
            "targeted": self.targeted,
            "compliant": self.compliant,
            "open": self.open,
            "missed": self.missed,
            "windowEndsAt": ends.timestamp() if ends else None,
        }


@dataclass(frozen=True, slots=True)
class RingCompliance:
    """Time-to-compliance counts of one intent in one ring."""

    ring: str | None
    since: datetime | None
    classes: tuple[ClassCompliance, ...] = ()

    def total(self, attribute: str) -> int:
        return sum(int(getattr(c, attribute)) for c in self.classes)

    @property
    def share(self) -> float | None:
        targeted = self.total("targeted")
        return self.total("compliant") / targeted if targeted else None

    def to_input(self) -> dict[str, Any]:
        return {
            "ring": self.ring,
            "since": self.since.timestamp() if self.since else None,
            "targeted": self.total("targeted"),
            "compliant": self.total("compliant"),
            "open": self.total("open"),
            "missed": self.total("missed"),
            "classes": {c.connectivity.value: c.to_input(self.since) for c in self.classes},
        }


def ring_compliance(
    *,
    intent: str,
    ring: str | None,
    since: datetime | None,
    devices: Iterable[DeviceInstall],
    histories: Mapping[str, CheckInHistory],
    config: ConnectivityConfig,
    now: datetime,
) -> RingCompliance:
    """Per connectivity class, the ring's targeted devices that reached the desired state
    within their class's target since ``since`` (when the ring was entered)."""
    counts = {c: [0, 0, 0, 0] for c in Connectivity}
    seen: set[str] = set()
    for device in devices:
        if device.device in seen:
            continue
        seen.add(device.device)
        history = histories.get(device.device) or observe_check_in(None, device.last_check_in)
        connectivity = config.classify(history.gap_hours(now))
        target = timedelta(hours=config.target_hours[connectivity])
        reached = min(
            (t for t in (history.reached.get(intent), device.reached_at) if t is not None),
            default=now,  # installed, but no time known: first seen now
        )
        row = counts[connectivity]
        row[0] += 1
        if since is None:
            row[2] += 1  # no known start: the window cannot have closed
        elif device.state == "installed" and reached is not None and reached <= since + target:
            row[1] += 1
        elif now < since + target:
            row[2] += 1
        else:
            row[3] += 1
    return RingCompliance(
        ring,
        since,
        tuple(
            ClassCompliance(c, config.target_hours[c], *counts[c])
            for c in Connectivity
            if counts[c][0]
        ),
    )
