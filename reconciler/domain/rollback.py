"""Rollback readiness: does the way back exist, and has it been exercised?

Part of the ``gate`` step. Before an intent enters a ring past the fleet's ``cab.firstRing``
the ``rollback-validated`` policy wants facts that this module computes from the observed
tenants and the state store:

* the superseded intent's app (``rollout.supersedes``) is still in the tenant on each
  platform, with its content committed (assignable);
* the way to remove the new build exists on each platform: the observed app says it is
  ``removable`` (its provider decides what that takes: an uninstall command line, an
  uninstall policy or the content it is made from);
* with ``rollout.onFailure: rollback``, a rollback of this build has succeeded on at least
  one device of a ring before ``cab.firstRing`` (lab, canary): recorded in the state store
  when a rolled-back intent's devices there were seen to have the build removed.

A build is the app name and version with the package hashes, so a rollback exercised under
one revision of an intent counts for a later revision that ships the same packages. Pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from reconciler.domain.compliance import CheckInHistory
from reconciler.domain.models import DeploymentIntent, FleetConfig
from reconciler.domain.tenant import ObservedApp, Platform


@dataclass(frozen=True, slots=True)
class RollbackEvidence:
    """A rollback of a build seen to succeed: where, on how many devices, when."""

    build: str
    intent: str
    ring: str
    devices: int
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "build": self.build,
            "intent": self.intent,
            "ring": self.ring,
            "devices": self.devices,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RollbackEvidence:
        return cls(
            str(data["build"]),
            str(data["intent"]),
            str(data["ring"]),
            int(data["devices"]),
            datetime.fromisoformat(str(data["at"])),
        )


@dataclass(frozen=True, slots=True)
class RollbackFacts:
    """What ``input.rollback`` of the promotion decision holds."""

    on_failure: str
    supersedes: str | None
    superseded: Mapping[str, Mapping[str, bool]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    uninstall: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    validated: RollbackEvidence | None = None

    def to_input(self) -> dict[str, Any]:
        evidence = self.validated
        return {
            "onFailure": self.on_failure,
            "supersedes": self.supersedes,
            "superseded": {p: dict(v) for p, v in sorted(self.superseded.items())},
            "uninstall": dict(sorted(self.uninstall.items())),
            "validated": None
            if evidence is None
            else {
                "ring": evidence.ring,
                "devices": evidence.devices,
                "at": evidence.at.timestamp(),
            },
        }


def build_key(intent: DeploymentIntent) -> str:
    """The build an intent ships: app name, version and package hashes."""
    parts = [intent.app.name, intent.app.version]
    for platform, package in (("windows", intent.windows), ("macos", intent.macos)):
        if package is not None:
            parts.append(f"{platform}={package.sha256}")
    return "sha256:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _uninstall_exists(apps: Sequence[ObservedApp]) -> bool:
    return any(app.removable for app in apps)


def rollback_facts(
    *,
    intent: DeploymentIntent,
    managed: Mapping[Platform, Mapping[str, Sequence[ObservedApp]]],
    evidence: RollbackEvidence | None,
) -> RollbackFacts:
    """The facts for ``intent`` from the tenants' managed apps and the recorded evidence."""
    platforms = [Platform(p) for p in intent.platforms]
    superseded: dict[str, Mapping[str, bool]] = {}
    if intent.rollout.supersedes:
        for platform in platforms:
            old = managed.get(platform, {}).get(intent.rollout.supersedes, ())
            superseded[platform.value] = MappingProxyType(
                {
                    "present": bool(old),
                    "assignable": any(a.content_ready for a in old),
                }
            )
    uninstall = {
        p.value: _uninstall_exists(managed.get(p, {}).get(intent.name, ())) for p in platforms
    }
    return RollbackFacts(
        on_failure=intent.rollout.on_failure.value,
        supersedes=intent.rollout.supersedes,
        superseded=MappingProxyType(superseded),
        uninstall=MappingProxyType(uninstall),
        validated=evidence,
    )


def observed_rollback(
    *,
    intent: DeploymentIntent,
    fleet: FleetConfig,
    reached: Sequence[str],
    ring_groups: Mapping[str, Sequence[str]],
    apps: Sequence[ObservedApp],
    histories: Mapping[str, CheckInHistory],
    now: datetime,
) -> RollbackEvidence | None:
    """Evidence that a rolled-back intent's build was removed from devices of a ring before
    ``cab.firstRing``: devices seen with the build installed that now report it gone.

    ``ring_groups`` maps each ring to its group ids on the apps' platforms.
    """
    names = fleet.ring_names
    first_cab = names.index(fleet.cab.first_ring) if fleet.cab.first_ring in names else 0
    best: tuple[int, str] | None = None
    for ring in reached:
        if ring not in names or names.index(ring) >= first_cab:
            continue
        removed = {
            device.device
            for app in apps
            for group in ring_groups.get(ring, ())
            for device in app.devices.get(group, ())
            if device.state == "uninstalled"
            and intent.name in (histories.get(device.device) or CheckInHistory()).reached
        }
        if removed and (best is None or len(removed) > best[0]):
            best = (len(removed), ring)
    if best is None:
        return None
    return RollbackEvidence(build_key(intent), intent.name, best[1], best[0], now)
