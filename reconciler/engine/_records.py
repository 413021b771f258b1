"""Pass records: what each step of a pass hands to the next and to the report.

Plain data, below the steps and the report (:mod:`reconciler.engine._report` builds an
:class:`~reconciler.engine.IntentReport` from an :class:`EvaluatedIntent`), plus the views
of the observed tenants every later step reads: the managed apps by platform and intent
(computed once per pass, by the observe step) and the install results in a ring's groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.domain.compliance import CheckInHistory, RingCompliance
from reconciler.domain.governance import IntentGovernance
from reconciler.domain.models import DeploymentIntent, FleetConfig
from reconciler.domain.plan import ring_groups
from reconciler.domain.rollback import RollbackFacts
from reconciler.domain.tenant import (
    DesiredApp,
    DeviceInstall,
    InstallCounts,
    ObservedApp,
    Platform,
    TenantSnapshot,
)

#: managed apps by platform and intent name (of every provider serving the platform)
Managed = Mapping[Platform, Mapping[str, list[ObservedApp]]]
#: managed apps by provider name and intent name
ProviderApps = Mapping[str, Mapping[str, list[ObservedApp]]]


@dataclass(frozen=True, slots=True)
class EvaluatedIntent:
    """What the evaluate step knows of one intent."""

    intent: DeploymentIntent
    governance: IntentGovernance
    desired: tuple[DesiredApp, ...]


@dataclass(frozen=True, slots=True)
class GateFacts:
    """What the gate step computes from the tenants and the store before deciding."""

    histories: Mapping[str, CheckInHistory] = field(default_factory=dict)
    #: the histories this observation changed (what the record step saves)
    changed: Mapping[str, CheckInHistory] = field(default_factory=dict)
    compliance: Mapping[str, RingCompliance] = field(default_factory=dict)
    rollback: Mapping[str, RollbackFacts] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ApplyOutcome:
    """What the apply step did: writes made, errors per intent, intents left waiting."""

    writes: int = 0
    errors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: intents whose remaining writes wait for the tenant (not errors)
    deferred: frozenset[str] = frozenset()


def provider_apps(snapshots: Mapping[str, TenantSnapshot]) -> ProviderApps:
    """Managed apps by provider and intent, computed once per pass."""
    return {name: snapshot.managed() for name, snapshot in snapshots.items()}


def platform_apps(snapshots: Mapping[str, TenantSnapshot], apps: ProviderApps) -> Managed:
    """The managed apps of every provider serving a platform, by platform and intent."""
    managed: dict[Platform, dict[str, list[ObservedApp]]] = {}
    for name, snapshot in snapshots.items():
        by_intent = managed.setdefault(snapshot.platform, {})
        for intent, observed in apps[name].items():
            by_intent.setdefault(intent, []).extend(observed)
    return managed


def telemetry(
    fleet: FleetConfig, intent: DeploymentIntent, ring: str | None, managed: Managed
) -> InstallCounts:
    """Install results of the intent's apps in the groups of ``ring``, both platforms."""
    total = InstallCounts()
    if ring is None:
        return total
    groups = ring_groups(fleet, None, [ring])
    for apps in managed.values():
        for app in apps.get(intent.name, []):
            for group in groups:
                total = total + app.install.get(group, InstallCounts())
    return total


def ring_devices(
    fleet: FleetConfig, intent: str, ring: str, managed: Managed
) -> list[DeviceInstall]:
    """The targeted devices of the intent's apps in the groups of ``ring``, both platforms."""
    return [
        device
        for apps in managed.values()
        for group in ring_groups(fleet, None, [ring])
        for app in apps.get(intent, [])
        for device in app.devices.get(group, ())
    ]
