"""The tenant as the engine sees it: desired apps, observed apps, assignments, install counts.

Platform-neutral models shared by the connectors (which fill them from Graph / Jamf
responses) and the planner (which diffs desired against observed). A Windows "app" is an
Intune win32LobApp; a macOS "app" is a Jamf Pro package plus the policy that installs it.
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
    """Graph's mobileAppAssignment intent values (Jamf: install / uninstall policies)."""

    REQUIRED = "required"
    AVAILABLE = "available"
    UNINSTALL = "uninstall"
    AVAILABLE_WITHOUT_ENROLLMENT = "availableWithoutEnrollment"


class TargetKind(enum.StrEnum):
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

    ``device`` is unique across platforms (``windows:<managedDevice id>``,
    ``macos:<computer id>``); ``last_check_in`` is Intune's ``lastSyncDateTime`` or Jamf's
    ``lastContactTime`` (else its report date); ``reached_at`` when the device reached the
    desired state (installed), if it has.
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
    """What one intent wants to exist on one platform.

    ``properties`` are the platform's own field names and values that the reconciler
    owns and compares for drift: Graph win32LobApp fields for Windows, Jamf package and
    policy fields for macOS (see :mod:`reconciler.domain.render`).
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

    @property
    def marker(self) -> OwnershipMarker:
        return OwnershipMarker(self.intent, self.digest)


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
    #: install counts per ring group id
    install: Mapping[str, InstallCounts] = field(default_factory=lambda: MappingProxyType({}))
    #: targeted devices per ring group id, for time to compliance and rollback evidence
    devices: Mapping[str, tuple[DeviceInstall, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: connector bookkeeping (e.g. the Jamf policy id that goes with a package)
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

    def managed(self) -> dict[str, list[ObservedApp]]:
        """Managed apps by intent name (more than one means duplicates to clean up)."""
        result: dict[str, list[ObservedApp]] = {}
        for app in self.apps:
            if app.marker is not None:
                result.setdefault(app.marker.intent, []).append(app)
        return result

    def unmanaged(self) -> tuple[ObservedApp, ...]:
        return tuple(a for a in self.apps if a.marker is None)
