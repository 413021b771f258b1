"""The simulated fleet and clock behind the sandbox tenant.

Devices are spread over the ring groups of a FleetConfig in proportion to each ring's
``devicesExpected``. Advancing the clock makes devices check in (every few simulated
hours, each at its own phase); at check-in a Windows device installs the published apps
assigned to it as ``required`` (uninstalls for ``uninstall``) and a Mac runs the enabled
Jamf policies in scope. Outcomes come from a hash of (seed, device, object, attempt), so a
seed and a sequence of clock advances always give the same tenant.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

SIM_EPOCH = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
CHECKIN_HOURS = 8.0
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
                intune_group_ids=tuple(str(g) for g in ring.get("intune", {}).get("groupIds", [])),
                jamf_group_ids=tuple(
                    int(g) for g in ring.get("jamf", {}).get("computerGroupIds", [])
                ),
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
    jamf_id: int = 0
    udid: str = ""
    last_checkin: datetime = SIM_EPOCH
    # app id / policy id -> (state, error code, modified)
    app_states: dict[str, tuple[str, str, datetime]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    policy_logs: list[dict[str, Any]] = field(default_factory=list)


def build_devices(rings: tuple[RingSpec, ...], windows: int, macos: int, seed: int) -> list[Device]:
    devices: list[Device] = []
    total_weight = sum(r.weight for r in rings)
    jamf_id = 1
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
            for _ in range(size):
                n += 1
                prefix = "WIN" if platform == "windows" else "MAC"
                name = f"{prefix}-{ring.name.upper()}-{n:05d}"
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
                    phase_hours=stable_unit(seed, "phase", name) * CHECKIN_HOURS,
                )
                if platform == "macos":
                    device.jamf_id = jamf_id
                    device.udid = stable_uuid(seed, "udid", name).upper()
                    jamf_id += 1
                devices.append(device)
    return devices


def checkins_between(device: Device, start: datetime, end: datetime) -> list[datetime]:
    """Check-in instants of a device in (start, end]."""
    since = (start - SIM_EPOCH).total_seconds() / 3600.0
    until = (end - SIM_EPOCH).total_seconds() / 3600.0
    k = int((since - device.phase_hours) // CHECKIN_HOURS) + 1
    times = []
    while True:
        t = device.phase_hours + k * CHECKIN_HOURS
        if t > until:
            break
        if t > since:
            times.append(SIM_EPOCH + timedelta(hours=t))
        k += 1
    return times


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
