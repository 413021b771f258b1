"""Intune connector operations against the sandbox over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from reconciler.connectors import IntuneConnector
from reconciler.connectors.registry import desired_apps
from reconciler.domain.errors import ConflictError, RequestRejectedError
from reconciler.domain.render import MissingScriptError
from reconciler.sandbox import Sandbox
from tests.conftest import EXAMPLE_REPO
from tests.connectors._intune import (
    CANARY,
    LAB,
    REPO,
    STORE,
    connector_for,
    required,
    windows_app,
)


@pytest.fixture
async def intune() -> AsyncIterator[tuple[Sandbox, IntuneConnector]]:
    async with Sandbox() as sandbox:
        connector = connector_for(sandbox)
        yield sandbox, connector
        await connector.aclose()


async def test_full_lifecycle(intune: tuple[Sandbox, IntuneConnector]) -> None:
    _sandbox, connector = intune
    app = windows_app("7zip-24.08")
    app_id = await connector.create_app(app)
    await connector.upload_content(app_id, app, STORE)
    await connector.set_assignments(app_id, required(LAB))
    await connector.set_assignments(app_id, required(LAB, CANARY))  # complete list each time
    snapshot = await connector.snapshot([LAB, CANARY])
    managed = snapshot.managed()
    (observed,) = managed["7zip-24.08"]
    assert observed.marker == app.marker and observed.content_ready
    assert sorted(a.group_id or "" for a in observed.assignments) == [LAB, CANARY]
    assert observed.properties["installCommandLine"] == app.properties["installCommandLine"]
    assert dict(observed.properties)["rules"] == list(app.properties["rules"])
    changed = replace(app, properties={**app.properties, "installCommandLine": "setup.exe /S"})
    await connector.update_app(app_id, changed)
    (after,) = (await connector.snapshot([])).managed()["7zip-24.08"]
    assert after.properties["installCommandLine"] == "setup.exe /S"
    await connector.delete_app(app_id)
    assert (await connector.snapshot([])).apps == ()


async def test_snapshot_pages_and_batches(intune: tuple[Sandbox, IntuneConnector]) -> None:
    _sandbox, connector = intune
    app = windows_app("notepadplusplus-8.7.1")
    for n in range(23):
        await connector.create_app(replace(app, intent=f"npp-{n:02d}"))
    # an unmanaged app made by hand in the portal: no marker in its notes
    await connector.graph.request(
        "POST",
        "/deviceAppManagement/mobileApps",
        json={**connector.payload(app), "notes": "made by hand"},
    )
    before = connector.graph.requests
    snapshot = await connector.snapshot([])
    assert len(snapshot.managed()) == 23 and len(snapshot.unmanaged()) == 1
    # 24 apps at 5 a page = 5 list calls; 24 assignment reads in 2 $batch calls
    assert snapshot.requests == connector.graph.requests - before == 5 + 2


async def test_a_crash_after_create_is_seen_on_the_next_snapshot(
    intune: tuple[Sandbox, IntuneConnector],
) -> None:
    _, connector = intune
    app = windows_app("vlc-3.0.21")
    await connector.create_app(app)  # ...and the process dies before recording the id
    (found,) = (await connector.snapshot([])).managed()["vlc-3.0.21"]
    assert found.marker == app.marker and not found.content_ready


async def test_install_status_per_ring_group_evolves_with_the_fleet() -> None:
    async with Sandbox(seed=7, devices_windows=2000) as sandbox:
        connector = connector_for(sandbox, page_size=100)
        sandbox.set_failure_rate("Google Chrome 131.0.6778.70", 0.08)  # a bad build
        ids = {}
        for name in ("7zip-24.08", "chrome-131.0.6778"):
            app = windows_app(name)
            ids[name] = await connector.create_app(app)
            await connector.upload_content(ids[name], app, STORE)
            await connector.set_assignments(ids[name], required(LAB, CANARY))
        windows = [d for d in sandbox.devices if d.platform == "windows"]
        lab_devices = sum(1 for d in windows if d.ring == "lab")
        canary_devices = sum(1 for d in windows if d.ring == "canary")

        def counts(snapshot: object, name: str) -> dict[str, object]:
            (app,) = snapshot.managed()[name]  # type: ignore[attr-defined]
            return dict(app.install)

        before = await connector.snapshot([LAB, CANARY])
        zip_before = counts(before, "7zip-24.08")
        assert zip_before[LAB].pending == lab_devices and zip_before[LAB].reporting == 0
        sandbox.advance(8)  # online devices check in once (first attempts only); others may
        checked_in = {d.ring: 0 for d in windows}
        for d in windows:
            checked_in[d.ring] += d.phase_hours <= 8
        assert checked_in["lab"] < lab_devices  # some lab devices are not online
        after = await connector.snapshot([LAB, CANARY])
        zip_after, chrome = counts(after, "7zip-24.08"), counts(after, "chrome-131.0.6778")
        assert (
            zip_after[LAB].reporting == checked_in["lab"]
            and zip_after[CANARY].reporting == checked_in["canary"]
        )
        # each targeted device, with its last sync and when it got the app
        (zip_app,) = after.managed()["7zip-24.08"]
        lab = zip_app.devices[LAB]
        assert len(lab) == lab_devices and len(zip_app.devices[CANARY]) == canary_devices
        by_id = {f"windows:{d.managed_id}": d for d in windows}
        for device in lab:
            simulated = by_id[device.device]
            assert device.last_check_in == simulated.last_checkin.replace(microsecond=0)
            if device.state == "installed":
                assert device.reached_at is not None
                assert device.reached_at <= sandbox.clock
            else:
                assert device.state == "pending" and simulated.phase_hours > 8
        assert (zip_after[LAB] + zip_after[CANARY]).success_rate > 0.97
        rate = (chrome[LAB] + chrome[CANARY]).success_rate
        assert 0.85 < rate < 0.97  # about 8 % of installs of the bad build fail
        await connector.aclose()


async def test_an_app_without_the_marker_is_never_edited_or_deleted(
    intune: tuple[Sandbox, IntuneConnector],
) -> None:
    sandbox, connector = intune
    app = windows_app("7zip-24.08")
    made_by_hand = await connector.graph.request(
        "POST",
        "/deviceAppManagement/mobileApps",
        json={**connector.payload(app), "notes": "packaged by the desktop team"},
    )
    app_id = made_by_hand.json()["id"]
    for write in (connector.update_app(app_id, app), connector.delete_app(app_id)):
        with pytest.raises(ConflictError, match="no ownership marker"):
            await write
    assert sandbox.graph.apps[app_id].data["notes"] == "packaged by the desktop team"
    await connector.delete_app("00000000-0000-4000-8000-000000000000")  # gone: fine


async def test_a_powershell_detection_rule_carries_the_script_itself(
    intune: tuple[Sandbox, IntuneConnector],
) -> None:
    _sandbox, connector = intune
    app = windows_app("teams-24295")
    (rule,) = app.properties["rules"]
    script = (EXAMPLE_REPO / "detection/teams-new.ps1").read_bytes()
    assert base64.b64decode(rule["scriptContent"]) == script and "scriptPath" not in rule
    app_id = await connector.create_app(app)
    stored = await connector.get_app(app_id)
    assert stored["rules"][0]["scriptContent"] == rule["scriptContent"]


async def test_the_sandbox_refuses_a_script_rule_without_base64_content(
    intune: tuple[Sandbox, IntuneConnector],
) -> None:
    _sandbox, connector = intune
    app = windows_app("teams-24295")
    (rule,) = app.properties["rules"]
    broken = {**rule, "scriptContent": "not base64 !"}
    with pytest.raises(RequestRejectedError, match="base64"):
        await connector.create_app(replace(app, properties={**app.properties, "rules": [broken]}))


def test_rendering_without_the_script_fails_rather_than_sending_a_path() -> None:
    with pytest.raises(MissingScriptError, match=r"teams-new\.ps1"):
        desired_apps(REPO.intents["teams-24295"])
