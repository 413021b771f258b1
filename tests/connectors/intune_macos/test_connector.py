"""The Intune for macOS connector against the sandbox over real HTTP on 127.0.0.1: app
lifecycle, the bodies it sends judged by Microsoft's own Graph models, content upload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from msgraph.generated.models.mac_o_s_dmg_app import MacOSDmgApp
from msgraph.generated.models.mac_o_s_lob_app import MacOSLobApp

from reconciler.connectors.intune_macos import (
    DMG,
    LOB,
    IntuneMacosConnector,
    UnsupportedInstallerError,
    app_type,
    minimum_os,
)
from reconciler.connectors.intune_macos.render import release_flag
from reconciler.domain.errors import ConflictError
from reconciler.sandbox import Sandbox
from tests.connectors.contract.intune import CANARY, LAB, connector_for, required, windows_app
from tests.connectors.contract.intune_macos import mac_app, macos_connector
from tests.connectors.contract.provider import STORE


@pytest.fixture
async def mac() -> AsyncIterator[tuple[Sandbox, IntuneMacosConnector]]:
    async with Sandbox(devices_windows=20, devices_macos=10) as sandbox:
        connector = macos_connector(sandbox)
        yield sandbox, connector
        await connector.aclose()


def _declared(model: Any) -> set[str]:
    return set(model().get_field_deserializers())


def test_pkg_body_uses_only_properties_msgraph_declares_for_macoslobapp() -> None:
    app = mac_app("vlc-3.0.21", included_apps=(("org.videolan.vlc.helper", None),))
    body = IntuneMacosConnector.payload(None, app)  # type: ignore[arg-type]
    assert body["@odata.type"] == LOB
    assert set(body) - {"@odata.type"} <= _declared(MacOSLobApp)
    assert [c["bundleId"] for c in body["childApps"]] == [
        "org.videolan.vlc",
        "org.videolan.vlc.helper",
    ]
    flags = body["minimumSupportedOperatingSystem"]
    assert sum(v is True for v in flags.values()) == 1  # Graph: exactly one release flag


def test_dmg_body_uses_only_properties_msgraph_declares_for_macosdmgapp() -> None:
    app = mac_app("vlc-3.0.21", file="packages/macos/VLC-3.0.21.dmg")
    body = IntuneMacosConnector.payload(None, app)  # type: ignore[arg-type]
    assert body["@odata.type"] == DMG
    assert set(body) - {"@odata.type"} <= _declared(MacOSDmgApp)
    assert body["primaryBundleId"] == "org.videolan.vlc"
    assert body["includedApps"][0]["bundleVersion"] == body["primaryBundleVersion"]
    with pytest.raises(UnsupportedInstallerError, match=r"installAsManaged is for a \.pkg"):
        mac_app("vlc-3.0.21", file="packages/macos/VLC.dmg", install_as_managed=True)
    with pytest.raises(UnsupportedInstallerError, match=r"\.pkg .* or a \.dmg"):
        app_type("packages/macos/vlc.zip")


@pytest.mark.parametrize(
    ("version", "flag"),
    [(None, "v11_0"), ("10.15", "v10_15"), ("12.3", "v12_0"), ("13", "v13_0"), ("15.1", "v13_0")],
)
def test_minimum_os_rounds_down_to_a_release_v1_declares(version: str | None, flag: str) -> None:
    from msgraph.generated.models.mac_o_s_minimum_operating_system import (
        MacOSMinimumOperatingSystem,
    )

    assert release_flag(version) == flag
    rendered = minimum_os(version)
    assert set(rendered) - {"@odata.type"} == _declared(MacOSMinimumOperatingSystem) - {
        "@odata.type"
    }
    assert [k for k, v in rendered.items() if v is True] == [flag]
    with pytest.raises(UnsupportedInstallerError):
        release_flag("10.6")


async def test_lifecycle(mac: tuple[Sandbox, IntuneMacosConnector]) -> None:
    sandbox, connector = mac
    app = mac_app("vlc-3.0.21")
    app_id = await connector.create_app(app)
    await connector.upload_content(app_id, app, STORE)
    await connector.set_assignments(app_id, required(LAB))
    await connector.set_assignments(app_id, required(LAB, CANARY))
    (observed,) = (await connector.snapshot([LAB, CANARY])).managed()["vlc-3.0.21"]
    assert observed.platform.value == "macos" and observed.content_ready
    assert observed.marker == app.marker
    assert sorted(a.group_id or "" for a in observed.assignments) == [LAB, CANARY]
    assert {k: observed.properties[k] for k in app.properties} == dict(app.properties)
    assert observed.extra["@odata.type"] == LOB
    changed = replace(app, properties={**app.properties, "ignoreVersionDetection": True})
    await connector.update_app(app_id, changed)
    (after,) = (await connector.snapshot([])).managed()["vlc-3.0.21"]
    assert after.properties["ignoreVersionDetection"] is True
    await connector.delete_app(app_id)
    assert (await connector.snapshot([])).apps == ()
    assert sandbox.requests  # it really went over HTTP


async def test_windows_and_mac_apps_share_the_tenant_apart(
    mac: tuple[Sandbox, IntuneMacosConnector],
) -> None:
    sandbox, connector = mac
    windows = connector_for(sandbox)
    try:
        win_id = await windows.create_app(windows_app("7zip-24.08"))
        mac_id = await connector.create_app(mac_app("7zip-24.08"))
        assert [a.id for a in (await connector.snapshot([])).apps] == [mac_id]
        assert [a.id for a in (await windows.snapshot([])).apps] == [win_id]
    finally:
        await windows.aclose()


async def test_unmarked_apps_are_left_alone(mac: tuple[Sandbox, IntuneMacosConnector]) -> None:
    _sandbox, connector = mac
    app = mac_app("vlc-3.0.21")
    body = connector.payload(app) | {"notes": "installed by hand"}
    foreign = (
        await connector.graph.request("POST", "/deviceAppManagement/mobileApps", json=body)
    ).json()["id"]
    (observed,) = (await connector.snapshot([])).unmanaged()
    assert observed.id == foreign
    with pytest.raises(ConflictError, match="no ownership marker"):
        await connector.update_app(foreign, app)
    with pytest.raises(ConflictError):
        await connector.delete_app(foreign)


def test_an_installer_intune_cannot_take_is_a_package_error_naming_the_file() -> None:
    from reconciler.connectors.intune_macos.render import render
    from reconciler.domain.errors import PackageError
    from tests.connectors.contract.provider import REPO

    document = REPO.intents["vlc-3.0.21"]
    assert document.macos is not None
    with pytest.raises(PackageError, match=r"vlc-3\.0\.21\.yaml: spec\.packages\.macos: .*\.zip"):
        render(document, replace(document.macos, file="packages/macos/vlc.zip"), {})
