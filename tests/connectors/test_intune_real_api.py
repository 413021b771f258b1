"""The Intune connector against what the real Graph does, as the sandbox now emulates it:
per-version properties, publishing delay, expiring upload SAS, report columns, $batch
budgeting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from reconciler.connectors import ServiceClient, WriteBudget
from reconciler.connectors.graph import report, upload
from reconciler.connectors.intune import connector as intune_module
from reconciler.connectors.intune.render import windows_release
from reconciler.domain.errors import NotReadyError
from reconciler.domain.tenant import InstallCounts
from reconciler.sandbox import Sandbox
from reconciler.sandbox._fleet import SIM_EPOCH
from tests.connectors.contract.intune import LAB, connector_for, required, windows_app
from tests.connectors.contract.provider import REPO, STORE
from tests.sandbox.conftest import FLEET, graph_token

APPS = "/deviceAppManagement/mobileApps"


@pytest.fixture
async def small() -> Iterator[Sandbox]:
    async with Sandbox(devices_windows=60, devices_macos=10, seed=3, fleet=FLEET) as sb:
        yield sb  # type: ignore[misc]


async def _beta_app(sandbox: Sandbox, app_id: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=sandbox.graph_beta_url) as client:
        client.headers["Authorization"] = f"Bearer {await graph_token(client, sandbox)}"
        body: dict[str, object] = (await client.get(f"{APPS}/{app_id}")).json()
        return body


async def test_v1_gets_only_v1_properties_and_display_version_goes_to_beta(
    small: Sandbox,
) -> None:
    connector = connector_for(small)
    app = windows_app("7zip-24.08")
    assert "displayVersion" not in connector.payload(app)
    assert connector.payload(app, "beta") == {
        "@odata.type": "#microsoft.graph.win32LobApp",
        "displayVersion": app.version,
    }
    app_id = await connector.create_app(app)  # v1.0 refuses displayVersion with a 400
    assert (await connector.get_app(app_id)).get("displayVersion") is None
    assert (await _beta_app(small, app_id))["displayVersion"] == app.version
    await connector.update_app(app_id, app)
    assert small.requests["PATCH /beta/deviceAppManagement/mobileApps/{id}"] == 2
    await connector.aclose()


def test_minimum_windows_release_is_sent_as_real_clients_send_it() -> None:
    assert windows_release("21H2") == "Windows10_21H2"
    assert windows_release("23H2") == "Windows11_23H2"
    assert windows_release("20H2") == "2H20"
    assert windows_release("1809") == "1809"
    properties = windows_app("vlc-3.0.21").properties
    assert properties["minimumSupportedWindowsRelease"] == "Windows10_21H2"


async def test_assign_waits_for_publishing_then_defers_without_failing() -> None:
    async with Sandbox(
        devices_windows=20, devices_macos=5, seed=3, fleet=FLEET, publish_after_reads=4
    ) as sandbox:
        connector = connector_for(sandbox)
        connector.poll_attempts = 10
        app = windows_app("7zip-24.08")
        app_id = await connector.create_app(app)
        await connector.upload_content(app_id, app, STORE)
        assert sandbox.graph.apps[app_id].data["publishingState"] == "processing"
        snapshot = await connector.snapshot([])
        assert next(a for a in snapshot.apps if a.id == app_id).content_ready  # no re-upload
        await connector.set_assignments(app_id, required(LAB))  # waited for "published"
        assert sandbox.graph.apps[app_id].assignments
        await connector.aclose()
    async with Sandbox(
        devices_windows=20, devices_macos=5, seed=3, fleet=FLEET, publish_after_reads=1000
    ) as sandbox:
        connector = connector_for(sandbox)
        connector.poll_attempts = 3
        app_id = await connector.create_app(app)
        await connector.upload_content(app_id, app, STORE)
        with pytest.raises(NotReadyError, match="assigned next pass"):
            await connector.set_assignments(app_id, required(LAB))
        assert "POST /v1.0/deviceAppManagement/mobileApps/{id}/assign" not in sandbox.requests
        sandbox.advance(minutes=5)  # time passes: published
        await connector.set_assignments(app_id, required(LAB))
        assert sandbox.graph.apps[app_id].assignments
        await connector.aclose()


class _SlowStorage(httpx.AsyncBaseTransport):
    """Each Put Block takes two simulated minutes, so a long upload outlives its SAS."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.inner = httpx.AsyncHTTPTransport()
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/blob/"):
            self.sandbox.clock += timedelta(minutes=2)
        response = await self.inner.handle_async_request(request)
        if response.status_code == 403:
            self.refused += 1
        return response


@pytest.mark.parametrize("proactive", [True, False], ids=["renew-on-age", "renew-on-403"])
async def test_long_upload_renews_the_expiring_sas_and_commits(
    monkeypatch: pytest.MonkeyPatch, proactive: bool
) -> None:
    monkeypatch.setattr(upload, "BLOCK_SIZE", 64)  # many blocks from a small package
    async with Sandbox(
        devices_windows=20, devices_macos=5, seed=3, fleet=FLEET, sas_lifetime_minutes=10
    ) as sandbox:
        storage = _SlowStorage(sandbox)
        connector = connector_for(sandbox, transport=storage)
        if proactive:

            def simulated_seconds() -> float:
                return (sandbox.clock - SIM_EPOCH).total_seconds()

            connector.clock = simulated_seconds
        else:
            connector.clock = lambda: 0.0  # never thinks it is old: storage's 403 tells
        app = windows_app("7zip-24.08")
        app_id = await connector.create_app(app)
        await connector.upload_content(app_id, app, STORE)
        renewals = sandbox.requests[
            "POST /v1.0/deviceAppManagement/mobileApps/{id}/microsoft.graph.win32LobApp"
            "/contentVersions/{id}/files/{id}/renewUpload"
        ]
        assert renewals >= 2
        assert (storage.refused == 0) is proactive
        assert sandbox.graph.apps[app_id].data["committedContentVersion"] == "1"
        await connector.aclose()


async def test_expired_sas_is_refused_with_azures_403(small: Sandbox) -> None:
    connector = connector_for(small)
    app = windows_app("7zip-24.08")
    app_id = await connector.create_app(app)
    versions = f"{APPS}/{app_id}/microsoft.graph.win32LobApp/contentVersions"
    version = (await connector.graph.request("POST", versions, json={})).json()["id"]
    created = await connector.graph.request(
        "POST", f"{versions}/{version}/files", json={"name": "a.intunewin", "size": 10}
    )
    file = (
        await connector.graph.request("GET", f"{versions}/{version}/files/{created.json()['id']}")
    ).json()
    small.clock += timedelta(minutes=11)
    async with httpx.AsyncClient() as blob:
        refused = await blob.put(
            f"{file['azureStorageUri']}&comp=block&blockid=YmxvY2stMDAwMA==", content=b"x"
        )
    assert refused.status_code == 403
    assert "<Code>AuthenticationFailed</Code>" in refused.text
    assert "Signature not valid in the specified time frame" in refused.text
    await connector.aclose()


def test_install_states_come_from_raw_values_never_from_localized_text() -> None:
    count = report.count
    assert count({"AppInstallState": 1, "AppInstallState_loc": "Installiert"}) == InstallCounts(
        installed=1
    )
    assert count({"AppInstallState": "failed", "AppInstallState_loc": "Installed"}) == (
        InstallCounts(failed=1)
    )
    assert count({"AppInstallState_loc": "Installed"}) == InstallCounts()


async def test_install_report_selects_base_columns_only(small: Sandbox) -> None:
    connector = connector_for(small)
    app = windows_app("7zip-24.08")
    app_id = await connector.create_app(app)
    await connector.upload_content(app_id, app, STORE)
    await connector.set_assignments(app_id, required(LAB))
    small.advance(hours=24)
    snapshot = await connector.snapshot([LAB])  # a _loc column in select would be a 400
    counts = next(a for a in snapshot.apps if a.id == app_id).install[LAB]
    lab = [d for d in small.graph.devices if d.ring == "lab"]
    assert counts.installed + counts.failed == len(lab) > 0
    await connector.aclose()


async def test_request_budget_counts_every_request_inside_a_batch(small: Sandbox) -> None:
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    connector = connector_for(small)
    connector.graph.request_budget = WriteBudget(30, 20.0, clock=lambda: now[0], sleep=sleep)
    requests = [{"id": str(i), "method": "GET", "url": "/groups"} for i in range(45)]
    answers = await connector.batch(requests)
    assert len(answers) == 45
    # three $batch calls, 45 requests to Graph: over the 30-per-window budget
    assert waits and connector.graph.request_budget.waited >= 20.0
    await connector.aclose()


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_every_payload_uses_only_what_microsofts_models_declare_for_its_version(
    version: str,
) -> None:
    """Each example intent's win32LobApp body, split by FIELD_VERSIONS, is valid for the API
    version it is sent to, judged by the property lists generated from msgraph-sdk and
    msgraph-beta-sdk (not by anything the connector or the sandbox wrote by hand)."""
    from reconciler.sandbox import _odata

    connector = connector_for_offline()
    names = [n for n, d in REPO.intents.items() if d.windows is not None]
    assert len(names) >= 5
    for name in names:
        body = connector.payload(windows_app(name), version)
        _odata.validate(version, "win32LobApp", body)  # raises on an undeclared property
        for field in body:
            expected = intune_module.FIELD_VERSIONS.get(field, "v1.0")
            assert field == "@odata.type" or expected == version, field
    assert set(intune_module.FIELD_VERSIONS.values()) <= {"v1.0", "beta"}
    assert not _odata.properties("v1.0", "win32LobApp").keys() & {
        k for k, v in intune_module.FIELD_VERSIONS.items() if v == "beta"
    }


def connector_for_offline() -> intune_module.IntuneConnector:
    """A connector whose payloads can be built without a tenant."""
    graph = ServiceClient(
        base_url="https://graph.example/v1.0", service="graph", credentials=None,
        client=httpx.AsyncClient(),
    )  # fmt: skip
    return intune_module.IntuneConnector(graph)
