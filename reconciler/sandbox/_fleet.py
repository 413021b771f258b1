"""A simulated Windows fleet for the emulated Intune tenant, on a clock tests can advance.

Devices are spread over the ring groups, check in every few hours of simulated time, and
install every published app assigned to them as ``required`` (``uninstall`` removes it).
Each install succeeds with the app's success probability (high by default; a "bad build"
can be set to fail, say, 8 %). Outcomes are drawn from a generator seeded by (seed,
device name, app display name), so a run is the same whatever order things happen in and
whatever ids the tenant hands out.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

DEFAULT_SUCCESS = 0.995
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@dataclass
class Device:
    id: str  # managedDevice id
    azure_ad_device_id: str  # Entra device id (deviceId of the directory object)
    object_id: str  # Entra directory object id (what group membership lists)
    name: str
    group_id: str
    check_in_every: float  # hours
    next_check_in: datetime


@dataclass
class InstallRecord:
    state: str
    at: datetime
    error: str = ""


@dataclass
class WindowsFleet:
    seed: int
    devices: list[Device] = field(default_factory=list)
    now: datetime = START
    #: app id → success probability, and display-name fragment → success probability
    success_by_app: dict[str, float] = field(default_factory=dict)
    success_by_name: dict[str, float] = field(default_factory=dict)
    installs: dict[tuple[str, str], InstallRecord] = field(default_factory=dict)

    @classmethod
    def spread(cls, seed: int, count: int, groups: Sequence[tuple[str, float]]) -> WindowsFleet:
        """``count`` devices over ``groups`` ((group id, weight), ...) by weight."""
        rng = random.Random(seed)
        total = sum(w for _, w in groups) or 1.0
        fleet = cls(seed)
        remaining = count
        for index, (group, weight) in enumerate(groups):
            share = remaining if index == len(groups) - 1 else round(count * weight / total)
            share = min(share, remaining)
            remaining -= share
            for _ in range(share):
                number = len(fleet.devices) + 1
                every = rng.choice((1.0, 2.0, 4.0, 8.0))
                fleet.devices.append(
                    Device(
                        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        azure_ad_device_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        object_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        name=f"CONTOSO-W{number:05d}",
                        group_id=group,
                        check_in_every=every,
                        next_check_in=START + timedelta(hours=rng.uniform(0, every)),
                    )
                )
        return fleet

    def success_probability(self, app_id: str, display_name: str) -> float:
        if app_id in self.success_by_app:
            return self.success_by_app[app_id]
        for fragment, probability in self.success_by_name.items():
            if fragment.lower() in display_name.lower():
                return probability
        return DEFAULT_SUCCESS

    def advance(
        self,
        hours: float,
        apps: dict[str, dict[str, object]],
        assignments: dict[str, list[dict[str, object]]],
    ) -> int:
        """Move the clock; devices that check in act on their assignments. Returns check-ins."""
        until = self.now + timedelta(hours=hours)
        check_ins = 0
        for device in self.devices:
            while device.next_check_in <= until:
                self._check_in(device, device.next_check_in, apps, assignments)
                device.next_check_in += timedelta(hours=device.check_in_every)
                check_ins += 1
        self.now = until
        return check_ins

    def _check_in(
        self,
        device: Device,
        at: datetime,
        apps: dict[str, dict[str, object]],
        assignments: dict[str, list[dict[str, object]]],
    ) -> None:
        for app_id, items in assignments.items():
            app = apps.get(app_id)
            if app is None:
                continue
            intent = intent_for(device, items)
            key = (device.id, app_id)
            record = self.installs.get(key)
            if intent == "uninstall":
                if record is not None and record.state == "installed":
                    self.installs[key] = InstallRecord("notInstalled", at)
                continue
            if intent != "required" or app.get("publishingState") != "published":
                continue
            if record is not None and record.state in ("installed", "failed"):
                continue
            name = str(app.get("displayName", ""))
            draw = random.Random(f"{self.seed}:{device.name}:{name}").random()
            probability = self.success_probability(app_id, name)
            if draw < probability:
                self.installs[key] = InstallRecord("installed", at)
            else:
                self.installs[key] = InstallRecord("failed", at, "0x80070643")


def intent_for(device: Device, items: list[dict[str, object]]) -> str | None:
    """The assignment intent that applies to a device (exclusions win, as in Intune)."""
    found: str | None = None
    for item in items:
        target = item.get("target")
        if not isinstance(target, dict):
            continue
        kind = str(target.get("@odata.type", ""))
        group = target.get("groupId")
        if kind.endswith("exclusionGroupAssignmentTarget") and group == device.group_id:
            return None
        if kind.endswith("allDevicesAssignmentTarget") or group == device.group_id:
            found = str(item.get("intent"))
    return found
