"""The tenant as the engine sees it: desired apps, observed apps, assignments, install counts.

Vendor-neutral models shared by the connectors (which fill them from their MDM's answers)
and the planner (which diffs desired against observed). What an "app" is in a tenant is
the provider's business (``reconciler.connectors.<provider>``); here it is a named,
versioned object with opaque owned ``properties``, assignments and install evidence.
Every object the reconciler creates carries the ownership marker (:func:`format_marker`)
in its notes; objects without it are never edited or deleted.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

MARKER_PREFIX = "eucora:managed"
_MARKER = re.compile(
    r"eucora:managed intent=(?P<intent>[a-z0-9]([-a-z0-9.]*[a-z0-9])?) "
    r"digest=(?P<digest>sha256:[a-f0-9]{64})"
)


class Platform(enum.StrEnum):
    WINDOWS = "windows"
    MACOS = "macos"


class AssignmentIntent(enum.StrEnum):
    """What an assignment asks of its targets: install (required or offered) or remove.
    Each provider maps these onto its MDM's own words."""

    REQUIRED = "required"
    AVAILABLE = "available"
    UNINSTALL = "uninstall"
    AVAILABLE_WITHOUT_ENROLLMENT = "availableWithoutEnrollment"


class TargetKind(enum.StrEnum):
    """Whom an assignment targets: a group, all but a group, all devices or all users."""

    GROUP = "group"
    EXCLUSION = "exclusion"
    ALL_DEVICES = "allDevices"
    ALL_USERS = "allLicensedUsers"


@dataclass(frozen=True, slots=True)
class OwnershipMarker:
    intent: str
    digest: str

    def __str__(self) -> str:
        return format_marker(self.intent, self.digest)


def format_marker(intent: str, digest: str) -> str:
    return f"{MARKER_PREFIX} intent={intent} digest={digest}"


def parse_marker(text: str | None) -> OwnershipMarker | None:
    """The marker anywhere in a notes field (people may add text around it)."""
    if not text:
        return None
    match = _MARKER.search(text)
    if match is None:
        return None
    return OwnershipMarker(match["intent"], match["digest"])


@dataclass(frozen=True, slots=True, order=True)
class Assignment:
    """One assignment of an app to a target. ``group_id`` is None for all-devices/users."""

    target: TargetKind
    group_id: str | None
    intent: AssignmentIntent = AssignmentIntent.REQUIRED

    def describe(self) -> str:
        where = self.group_id if self.group_id else self.target.value
        if self.target is TargetKind.EXCLUSION:
            where = f"not {where}"
        return f"{self.intent.value}→{where}"


@dataclass(frozen=True, slots=True)
class InstallCounts:
    """Install results reported by devices of one group for one app."""

    installed: int = 0
    failed: int = 0
    pending: int = 0
    not_applicable: int = 0

    @property
    def reporting(self) -> int:
        """Devices with a final result (installed or failed)."""
        return self.installed + self.failed

    @property
    def success_rate(self) -> float | None:
        return self.installed / self.reporting if self.reporting else None

    def __add__(self, other: InstallCounts) -> InstallCounts:
        return InstallCounts(
            self.installed + other.installed,
            self.failed + other.failed,
            self.pending + other.pending,
            self.not_applicable + other.not_applicable,
        )


@dataclass(frozen=True, slots=True)
class DeviceInstall:
    """One targeted device's state for one app, as the tenant reports it.

    ``device`` is unique across platforms (``<platform>:<the MDM's device id>``);
    ``last_check_in`` is when the device last checked in with its MDM; ``reached_at`` when
    the device reached the desired state (installed), if it has.
    """

    device: str
    state: str  # installed | failed | pending
    last_check_in: datetime | None = None
    reached_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PackageRef:
    """An installer file in the package store, with the hash Git declares for it."""

    file: str
    sha256: str | None
    size_bytes: int | None


@dataclass(frozen=True, slots=True)
class DesiredApp:
    """What one intent wants to exist on one platform, through one provider.

    ``properties`` are the provider's own field names and values that the reconciler owns
    and compares for drift (each provider renders them, see ``reconciler.connectors``);
    ``optional`` names those the tenant shows only once a later write made the object
    that holds them, so their absence is not drift. ``ring_group_key`` is the key of the
    rings' ``groups`` the provider assigns to (the provider's name unless it shares a
    tenant's groups with another).
    """

    intent: str
    digest: str
    platform: Platform
    display_name: str
    version: str
    publisher: str
    description: str
    package: PackageRef
    properties: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    provider: str = ""
    ring_group_key: str = ""
    optional: frozenset[str] = frozenset()

    @property
    def marker(self) -> OwnershipMarker:
        return OwnershipMarker(self.intent, self.digest)

    @property
    def group_key(self) -> str:
        return self.ring_group_key or self.provider


@dataclass(frozen=True, slots=True)
class ObservedApp:
    """An app as read from the tenant."""

    platform: Platform
    id: str
    display_name: str
    version: str
    marker: OwnershipMarker | None
    properties: Mapping[str, Any]
    assignments: tuple[Assignment, ...] = ()
    content_ready: bool = False
    enabled: bool = True
    #: the tenant holds what it takes to remove the app from devices (for rollbacks)
    removable: bool = False
    #: install counts per ring group id
    install: Mapping[str, InstallCounts] = field(default_factory=lambda: MappingProxyType({}))
    #: targeted devices per ring group id, for time to compliance and rollback evidence
    devices: Mapping[str, tuple[DeviceInstall, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: connector bookkeeping (e.g. the id of a second object that goes with the app)
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def managed(self) -> bool:
        return self.marker is not None


@dataclass(frozen=True, slots=True)
class TenantSnapshot:
    """Everything one connector observed in one pass."""

    platform: Platform
    apps: tuple[ObservedApp, ...]
    #: HTTP calls it took to observe (for benchmarks and the status)
    requests: int = 0
    #: the provider whose tenant this is
    provider: str = ""

    def managed(self) -> dict[str, list[ObservedApp]]:
        """Managed apps by intent name (more than one means duplicates to clean up)."""
        result: dict[str, list[ObservedApp]] = {}
        for app in self.apps:
            if app.marker is not None:
                result.setdefault(app.marker.intent, []).append(app)
        return result

    def unmanaged(self) -> tuple[ObservedApp, ...]:
        return tuple(a for a in self.apps if a.marker is None)
