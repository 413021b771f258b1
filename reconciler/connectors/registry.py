"""The providers EUCORA can reconcile against, by name: one entry per MDM.

Sits before the observe step, where connectors are built: the composition root reads a
provider's settings (its ``secret_prefix`` keys, from the environment, a tenant file or a
Kubernetes Secret) with ``settings_from_mapping`` and builds its connector with
``connect``. ``ring_group_key`` names the FleetConfig ring ``groups`` entry the provider
targets (providers that share a tenant share the key), ``platforms`` the device platforms
it serves. Adding an MDM is one package under ``reconciler.connectors`` and one entry here
(see docs/architecture.md, "Adding an MDM").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from reconciler.connectors.intune import IntuneSettings, intune_connector
from reconciler.connectors.intune import render as intune_render
from reconciler.connectors.intune_macos import (
    IntuneMacosSettings,
    intune_macos_connector,
)
from reconciler.connectors.intune_macos import render as intune_macos_render
from reconciler.connectors.jamf import JamfSettings, jamf_connector
from reconciler.connectors.jamf import render as jamf_render
from reconciler.domain.documents.models import DeploymentIntent, FleetConfig
from reconciler.domain.errors import ConfigurationError
from reconciler.domain.ports import TenantConnector
from reconciler.domain.tenant import DesiredApp, Platform

#: ``render(intent, package, scripts)``: the intent's package as the provider's desired app
Render = Callable[[DeploymentIntent, Any, Mapping[str, bytes]], DesiredApp]


@dataclass(frozen=True, slots=True)
class Provider:
    """What EUCORA needs to know about one MDM, under its name."""

    name: str
    platforms: tuple[Platform, ...]
    #: the key of a ring's ``groups`` whose ids this provider assigns to
    ring_group_key: str
    #: the settings keys (environment, Secret) start with this, e.g. ``INTUNE_``
    secret_prefix: str
    settings_from_mapping: Callable[[Mapping[str, str]], Any]
    #: ``connect(settings, **options)`` → a connector owning its HTTP client
    connect: Callable[..., TenantConnector]
    #: tenant-file section and its keys → settings keys (secrets never come from the file)
    tenant_section: str
    tenant_keys: Mapping[str, str]
    render: Render
    #: how the plan speaks of this provider's writes, by action kind
    words: Mapping[str, str]

    def has_settings(self, env: Mapping[str, str]) -> bool:
        """Whether ``env`` holds any of this provider's settings keys."""
        return any(key.startswith(self.secret_prefix) for key in env)


#: the tenant-file keys of an Entra tenant's Graph (both Intune providers read them)
_GRAPH_TENANT_KEYS: Mapping[str, str] = {
    "tenantId": "INTUNE_TENANT_ID",
    "clientId": "INTUNE_CLIENT_ID",
    "graphUrl": "INTUNE_GRAPH_URL",
    "authorityUrl": "INTUNE_AUTHORITY_URL",
}

PROVIDERS: Mapping[str, Provider] = {
    "intune": Provider(
        name="intune",
        platforms=(Platform.WINDOWS,),
        ring_group_key="intune",
        secret_prefix="INTUNE_",  # noqa: S106 - a key prefix, not a secret
        settings_from_mapping=IntuneSettings.from_mapping,
        connect=intune_connector,
        tenant_section="intune",
        tenant_keys=_GRAPH_TENANT_KEYS,
        render=intune_render.render,
        words=intune_render.WORDS,
    ),
    "jamf": Provider(
        name="jamf",
        platforms=(Platform.MACOS,),
        ring_group_key="jamf",
        secret_prefix="JAMF_",  # noqa: S106 - a key prefix, not a secret
        settings_from_mapping=JamfSettings.from_mapping,
        connect=jamf_connector,
        tenant_section="jamf",
        tenant_keys={
            "url": "JAMF_URL",
            "clientId": "JAMF_CLIENT_ID",
            "username": "JAMF_USERNAME",
            "policyCategory": "JAMF_POLICY_CATEGORY",
        },
        render=jamf_render.render,
        words=jamf_render.WORDS,
    ),
    # Macs in the same Entra tenant: the same settings, Secret keys and ring groups
    "intune-macos": Provider(
        name="intune-macos",
        platforms=(Platform.MACOS,),
        ring_group_key="intune",
        secret_prefix="INTUNE_",  # noqa: S106 - a key prefix, not a secret
        settings_from_mapping=IntuneMacosSettings.from_mapping,
        connect=intune_macos_connector,
        tenant_section="intune",
        tenant_keys=_GRAPH_TENANT_KEYS,
        render=intune_macos_render.render,
        words=intune_macos_render.WORDS,
    ),
}
#: the provider of a platform when neither the intent nor the FleetConfig names one
DEFAULT_PROVIDERS: Mapping[Platform, str] = {Platform.WINDOWS: "intune", Platform.MACOS: "jamf"}


def provider(name: str) -> Provider:
    """The provider called ``name``; a ConfigurationError naming the known ones otherwise."""
    try:
        return PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigurationError(f"unknown provider {name!r} (known: {known})") from None


def providers_for(platform: Platform) -> tuple[Provider, ...]:
    """The providers that serve ``platform``, in registry order."""
    return tuple(p for p in PROVIDERS.values() if platform in p.platforms)


def provider_for(
    platform: Platform, named: str | None = None, fleet: FleetConfig | None = None
) -> Provider:
    """The provider of a package: the one it names, else the FleetConfig's for its
    platform, else the default; refused when it does not serve the platform."""
    name = named or (fleet.providers.get(platform.value) if fleet else None)
    chosen = provider(name or DEFAULT_PROVIDERS[platform])
    if platform not in chosen.platforms:
        raise ConfigurationError(f"provider {chosen.name!r} does not serve {platform.value}")
    return chosen


def desired_apps(
    intent: DeploymentIntent,
    scripts: Mapping[str, bytes] | None = None,
    fleet: FleetConfig | None = None,
) -> tuple[DesiredApp, ...]:
    """One desired app per platform the intent ships on, each rendered by its provider.

    ``scripts`` maps repo-relative paths of detection scripts to their bytes (see
    ``reconciler.domain.evaluation.render.detection_scripts``).
    """
    apps = []
    for platform in Platform:
        package = getattr(intent, platform.value)
        if package is None:
            continue
        chosen = provider_for(platform, package.provider, fleet)
        app = chosen.render(intent, package, scripts or {})
        apps.append(replace(app, provider=chosen.name, ring_group_key=chosen.ring_group_key))
    return tuple(apps)


def words() -> dict[str, Mapping[str, str]]:
    """Every provider's plan words, by provider name."""
    return {name: entry.words for name, entry in PROVIDERS.items()}
