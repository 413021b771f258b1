"""What only Intune's wire shows: Graph request counts, script rules, portal drift,
``$batch`` answers, the lookup behind a recovered create. The behaviour every connector
shares is in ``tests/connectors/contract``."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from reconciler.connectors import IntuneConnector
from reconciler.connectors.registry import desired_apps
from reconciler.domain.errors import RequestRejectedError
from reconciler.domain.render import MissingScriptError
from reconciler.domain.tenant import Assignment, TargetKind
from reconciler.sandbox import Sandbox
from tests.conftest import EXAMPLE_REPO
from tests.connectors.contract.intune import APPS, LAB, connector_for, required, windows_app
from tests.connectors.contract.provider import REPO, STORE
from tests.connectors.contract.transports import LosingTransport


@pytest.fixture
async def intune() -> AsyncIterator[tuple[Sandbox, IntuneConnector]]:
    async with Sandbox() as sandbox:
        connector = connector_for(sandbox)
        yield sandbox, connector
        await connector.aclose()


async def test_a_snapshot_lists_in_pages_and_reads_assignments_in_batches(
    intune: tuple[Sandbox, IntuneConnector],
) -> None:
    _sandbox, connector = intune
    app = windows_app("notepadplusplus-8.7.1")
    for n in range(23):
        await connector.create_app(replace(app, intent=f"npp-{n:02d}"))
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


async def test_portal_drift_made_by_hand_is_visible_and_corrected() -> None:
    async with Sandbox(devices_windows=10, devices_macos=0) as sandbox:
        connector = connector_for(sandbox)
        app = windows_app("7zip-24.08")
        app_id = await connector.create_app(app)
        await connector.upload_content(app_id, app, STORE)
        await connector.set_assignments(app_id, [Assignment(TargetKind.GROUP, LAB)])
        async with httpx.AsyncClient(base_url=sandbox.admin_url) as admin:
            assigned = await admin.post("/drift/assign-all-devices", json={"appId": app_id})
            assert assigned.status_code == 200
            edit = {"appId": app_id, "installCommandLine": "evil.exe"}
            assert (await admin.post("/drift/install-command", json=edit)).status_code == 200
            (drifted,) = (await connector.snapshot([])).managed()["7zip-24.08"]
            assert {a.target for a in drifted.assignments} == {
                TargetKind.GROUP,
                TargetKind.ALL_DEVICES,
            }
            assert drifted.properties["installCommandLine"] == "evil.exe"
            await connector.update_app(app_id, app)
            await connector.set_assignments(app_id, [Assignment(TargetKind.GROUP, LAB)])
            (fixed,) = (await connector.snapshot([])).managed()["7zip-24.08"]
            assert [a.target for a in fixed.assignments] == [TargetKind.GROUP]
            assert fixed.properties["installCommandLine"] == app.properties["installCommandLine"]
            await admin.post("/drift/delete-app", json={"appId": app_id})
            assert (await connector.snapshot([])).managed() == {}
            counters = (await admin.get("/counters")).json()
            assert counters["total"] > 10 and counters["writes"] >= 6
        await connector.aclose()


async def test_a_lost_create_answer_is_recovered_by_one_listing() -> None:
    async with Sandbox(devices_windows=10, devices_macos=0) as sandbox:
        transport = LosingTransport(f"POST {APPS}")
        connector = connector_for(sandbox, transport=transport)
        app_id = await connector.create_app(windows_app("7zip-24.08"))
        assert transport.lost == 1 and list(sandbox.graph.apps) == [app_id]
        requests = sandbox.counters()["requests"]
        assert requests[f"POST {APPS}"] == 1 and requests[f"GET {APPS}"] == 1
        await connector.aclose()


async def test_batch_with_mixed_answers_retries_only_the_throttled() -> None:
    async with Sandbox(
        devices_windows=10,
        devices_macos=0,
        faults="429@/v1.0/deviceAppManagement/mobileApps/*/assignments:0.5",
        seed=3,
        retry_after_seconds=0,
    ) as sandbox:
        connector = connector_for(sandbox)
        ids = [await connector.create_app(windows_app(n)) for n in ("7zip-24.08", "vlc-3.0.21")]
        await connector.upload_content(ids[0], windows_app("7zip-24.08"), STORE)
        await connector.set_assignments(ids[0], required(LAB))
        missing = "00000000-0000-4000-8000-000000000000"
        requests = [
            {
                "id": str(i),
                "method": "GET",
                "url": f"/deviceAppManagement/mobileApps/{a}/assignments",
            }
            for i, a in enumerate([*ids, missing] * 10)
        ]
        answers = await connector.batch(requests)
        assert sorted(answers, key=int) == [str(i) for i in range(30)]
        statuses = {a["status"] for a in answers.values()}
        assert statuses == {200, 404}
        assert sandbox.counters()["faultsInjected"]["429"] > 0
        calls = sandbox.counters()["requests"]["POST /v1.0/$batch"]
        assert calls > 3  # 30 requests = 2 calls, plus the rounds for the throttled ones
        await connector.aclose()
