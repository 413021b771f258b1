"""The simulated fleet and clock behind the sandbox tenant.

Devices are spread over the ring groups of a FleetConfig in proportion to each ring's
``devicesExpected``. Each device has a connectivity class with its own check-in interval:
*online* devices check in every 8 simulated hours, *intermittent* ones (laptops used a few
days a week) every 30–60 hours, *air-gapped* ones (secure sites, ships, kiosks that reach
the network now and then) every 4–6.5 days; each at its own phase, so that a device's
check-in history is what Intune's ``lastSyncDateTime`` and Jamf's ``lastContactTime``
show over time. The share of each class is set per ring (default 85 / 10 / 5 %).
Advancing the clock makes devices check in; at check-in a Windows device installs the published apps
assigned to it as ``required`` (uninstalls for ``uninstall``) and a Mac runs the enabled
Jamf policies in scope. Outcomes come from a hash of (seed, device, object, attempt), so a
seed and a sequence of clock advances always give the same tenant.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

SIM_EPOCH = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
CHECKIN_HOURS = 8.0
#: check-in interval range (hours) per connectivity class
CHECKIN_RANGES = {
    "online": (CHECKIN_HOURS, CHECKIN_HOURS),
    "intermittent": (30.0, 60.0),
    "airGapped": (96.0, 156.0),
}
#: default share of online / intermittent / air-gapped devices in every ring
DEFAULT_CONNECTIVITY = (0.85, 0.10, 0.05)
DEFAULT_SUCCESS_RATE = 0.995
DEFAULT_FLEET = Path("examples/fleet-repo/fleet.yaml")


@dataclass(frozen=True, slots=True)
class RingSpec:
    name: str
    weight: int
    intune_group_ids: tuple[str, ...]
    jamf_group_ids: tuple[int, ...]


def load_rings(path: Path | None) -> tuple[RingSpec, ...]:
    """Rings of a FleetConfig file; a built-in single ring when no file is given or found."""
    if path is None:
        path = DEFAULT_FLEET
        if not path.is_file():
            return (RingSpec("all", 1, ("00000000-0000-4000-8000-00000000a001",), (1,)),)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    rings = []
    for ring in (doc or {}).get("spec", {}).get("rings", []):
        rings.append(
            RingSpec(
                name=str(ring["name"]),
                weight=int(ring.get("devicesExpected") or 1),
                intune_group_ids=tuple(str(g) for g in ring.get("groups", {}).get("intune", [])),
                jamf_group_ids=tuple(int(g) for g in ring.get("groups", {}).get("jamf", [])),
            )
        )
    if not rings:
        raise ValueError(f"{path}: no rings in spec.rings")
    return tuple(rings)


def stable_unit(*parts: object) -> float:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def stable_uuid(*parts: object) -> str:
    return str(
        uuid.UUID(bytes=hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:16], version=4)
    )


@dataclass
class Device:
    index: int
    platform: str  # "windows" | "macos"
    name: str
    ring: str
    managed_id: str
    object_id: str  # Entra directory object id (group member)
    azure_ad_device_id: str
    serial: str
    model: str
    os_version: str
    user: str
    phase_hours: float
    connectivity: str = "online"  # online | intermittent | airGapped
    checkin_hours: float = CHECKIN_HOURS
    #: the MDM the device is enrolled in: "intune" (Windows; Macs where the fleet says so)
    #: or "jamf" (Macs); the emulator of that name runs its check-ins
    mdm: str = ""
    jamf_id: int = 0
    udid: str = ""
    last_checkin: datetime = SIM_EPOCH
    #: the instant the check-in schedule counts from (the simulated clock's start)
    epoch: datetime = SIM_EPOCH
    # app id / policy id -> (state, error code, modified)
    app_states: dict[str, tuple[str, str, datetime]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    policy_logs: list[dict[str, Any]] = field(default_factory=list)


def _connectivity(mix: tuple[float, float, float], unit: float) -> str:
    online, intermittent, _air_gapped = mix
    total = sum(mix) or 1.0
    if unit < online / total:
        return "online"
    if unit < (online + intermittent) / total:
        return "intermittent"
    return "airGapped"


def build_devices(
    rings: tuple[RingSpec, ...],
    windows: int,
    macos: int,
    seed: int,
    connectivity: Mapping[str, tuple[float, float, float]] | None = None,
    epoch: datetime = SIM_EPOCH,
) -> list[Device]:
    """The fleet; ``connectivity`` gives a ring's online / intermittent / air-gapped shares;
    check-ins are scheduled from ``epoch``, when the simulated clock starts."""
    devices: list[Device] = []
    total_weight = sum(r.weight for r in rings)
    jamf_id = 1
    mixes = connectivity or {}
    for platform, count in (("windows", windows), ("macos", macos)):
        # Largest-remainder apportionment so ring sizes follow devicesExpected exactly.
        quotas = [count * r.weight / total_weight for r in rings]
        sizes = [int(q) for q in quotas]
        for i in sorted(range(len(rings)), key=lambda i: quotas[i] - sizes[i], reverse=True)[
            : count - sum(sizes)
        ]:
            sizes[i] += 1
        n = 0
        for ring, size in zip(rings, sizes, strict=True):
            mix = mixes.get(ring.name, DEFAULT_CONNECTIVITY)
            for position in range(size):
                n += 1
                prefix = "WIN" if platform == "windows" else "MAC"
                name = f"{prefix}-{ring.name.upper()}-{n:05d}"
                # evenly spread over the ring, in an order the seed shuffles
                unit = (position + stable_unit(seed, "connectivity", ring.name)) / size
                unit = (unit + stable_unit(seed, "order", name) / size) % 1.0
                kind = _connectivity(mix, unit)
                low, high = CHECKIN_RANGES[kind]
                interval = low + stable_unit(seed, "interval", name) * (high - low)
                phase = stable_unit(seed, "phase", name) * interval
                device = Device(
                    index=len(devices),
                    platform=platform,
                    name=name,
                    ring=ring.name,
                    managed_id=stable_uuid(seed, "managed", name),
                    object_id=stable_uuid(seed, "object", name),
                    azure_ad_device_id=stable_uuid(seed, "aad", name),
                    serial=hashlib.sha256(f"{seed}{name}".encode()).hexdigest()[:10].upper(),
                    model="Latitude 7440" if platform == "windows" else "MacBookPro18,3",
                    os_version="10.0.22631.4460" if platform == "windows" else "15.1.1",
                    user=f"user{n:05d}@contoso.example",
                    phase_hours=phase,
                    mdm="intune" if platform == "windows" else "jamf",
                    connectivity=kind,
                    checkin_hours=interval,
                    # its last check-in before the simulation starts
                    last_checkin=epoch + timedelta(hours=phase - interval),
                    epoch=epoch,
                )
                if platform == "macos":
                    device.jamf_id = jamf_id
                    device.udid = stable_uuid(seed, "udid", name).upper()
                    jamf_id += 1
                devices.append(device)
    return devices


def checkins_between(device: Device, start: datetime, end: datetime) -> list[datetime]:
    """Check-in instants of a device in (start, end]."""
    since = (start - device.epoch).total_seconds() / 3600.0
    until = (end - device.epoch).total_seconds() / 3600.0
    interval = device.checkin_hours
    k = int((since - device.phase_hours) // interval) + 1
    times = []
    while True:
        t = device.phase_hours + k * interval
        if t > until:
            break
        if t > since:
            times.append(device.epoch + timedelta(hours=t))
        k += 1
    return times


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
