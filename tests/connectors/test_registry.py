"""The provider registry: which provider renders a package, with which ring-group key, and
settings read once per prefix for every provider whose keys are present."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.compose.connectors import TenantSettings, settings_connectors
from reconciler.connectors import IntuneConnector, JamfConnector
from reconciler.connectors.registry import (
    PROVIDERS,
    desired_apps,
    provider,
    provider_for,
    providers_for,
    words,
)
from reconciler.domain.errors import ConfigurationError
from reconciler.domain.planning.plan import ring_groups
from reconciler.domain.tenant import Platform
from tests.connectors.contract.provider import REPO

TENANT = {
    "INTUNE_TENANT_ID": "contoso",
    "INTUNE_CLIENT_ID": "ic",
    "INTUNE_CLIENT_SECRET": "is",
    "JAMF_URL": "https://jamf.example.com",
    "JAMF_CLIENT_ID": "jc",
    "JAMF_CLIENT_SECRET": "js",
}


def test_each_provider_names_what_the_rest_of_eucora_needs() -> None:
    for name, entry in PROVIDERS.items():
        assert entry.name == name and entry.platforms
        assert entry.secret_prefix.endswith("_") and entry.secret_prefix.isupper()
        assert set(entry.words) <= {
            "adopt", "create-app", "upload-content", "update-app", "set-assignments", "delete-app",
        }  # fmt: skip
    assert [p.name for p in providers_for(Platform.WINDOWS)] == ["intune"]
    assert [p.name for p in providers_for(Platform.MACOS)] == ["jamf", "intune-macos"]
    assert provider("intune-macos").ring_group_key == "intune"
    assert words()["jamf"]["set-assignments"] == "scope policies to ring groups"


def test_unknown_or_mismatched_provider_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown provider 'kandji'"):
        provider("kandji")
    with pytest.raises(ConfigurationError, match="'jamf' does not serve windows"):
        provider_for(Platform.WINDOWS, "jamf")


def test_package_provider_wins_over_fleet_which_wins_over_default() -> None:
    fleet = REPO.fleet
    assert fleet is not None
    assert provider_for(Platform.MACOS).name == "jamf"
    assert provider_for(Platform.MACOS, None, fleet).name == "jamf"
    named = replace(fleet, providers={"windows": "intune"})
    assert provider_for(Platform.WINDOWS, None, named).name == "intune"
    with pytest.raises(ConfigurationError):
        provider_for(Platform.MACOS, None, replace(fleet, providers={"macos": "intune"}))
    on_intune = replace(fleet, providers={"macos": "intune-macos"})
    assert provider_for(Platform.MACOS, None, on_intune).name == "intune-macos"
    assert provider_for(Platform.MACOS, "jamf", on_intune).name == "jamf"


def test_rendered_apps_carry_their_provider_and_ring_group_key() -> None:
    apps = {a.platform: a for a in desired_apps(REPO.intents["7zip-24.08"], fleet=REPO.fleet)}
    windows, macos = apps[Platform.WINDOWS], apps[Platform.MACOS]
    assert (windows.provider, windows.group_key) == ("intune", "intune")
    assert (macos.provider, macos.group_key) == ("jamf", "jamf")
    assert "installCommandLine" in windows.properties and not windows.optional
    assert macos.optional == {"policyEnabled", "policyFrequency"}


async def test_tenant_settings_build_a_connector_per_provider_with_keys() -> None:
    both = TenantSettings.from_mapping(TENANT)
    assert [name for name, _ in both.providers] == ["intune", "jamf", "intune-macos"]
    # one tenant, one parse: both Intune providers get the same settings object
    assert both.get("intune") is both.get("intune-macos")
    assert "is" not in repr(both) and "js" not in repr(both)
    only_jamf = TenantSettings.from_mapping({k: v for k, v in TENANT.items() if "JAMF" in k})
    assert only_jamf.get("intune") is None and only_jamf.get("jamf") is not None
    assert not TenantSettings.from_mapping({})
    connectors = settings_connectors(TenantSettings(both.providers[:2]))
    try:
        assert isinstance(connectors["intune"], IntuneConnector)
        assert isinstance(connectors["jamf"], JamfConnector)
        assert {c.provider for c in connectors.values()} == {"intune", "jamf"}
    finally:
        for connector in connectors.values():
            await connector.aclose()
    with pytest.raises(ConfigurationError, match="INTUNE_CLIENT_SECRET"):
        TenantSettings.from_mapping(
            {k: v for k, v in TENANT.items() if k != "INTUNE_CLIENT_SECRET"}
        )


def test_a_mac_package_on_intune_targets_the_entra_ring_groups() -> None:
    fleet = REPO.fleet
    assert fleet is not None
    intent = REPO.intents["7zip-24.08"]
    assert intent.macos is not None
    on_intune = replace(intent, macos=replace(intent.macos, provider="intune-macos"))
    macos = next(a for a in desired_apps(on_intune, fleet=fleet) if a.platform is Platform.MACOS)
    assert (macos.provider, macos.group_key) == ("intune-macos", "intune")
    assert macos.properties["fileName"] == intent.macos.file.rsplit("/", 1)[-1]
    lab = fleet.ring("lab")
    assert lab is not None
    assert ring_groups(fleet, macos.group_key, ["lab"]) == list(lab.groups["intune"])
    assert ring_groups(fleet, "jamf", ["lab"]) == ["101"]
