"""Faults, drift and the breaker, against the sandbox over real HTTP on 127.0.0.1."""

from __future__ import annotations

import httpx
import pytest

from reconciler.connectors import CircuitBreaker, ClientCredentials, IntuneConnector, JamfConnector
from reconciler.domain.errors import CircuitOpenError, TransientTenantError
from reconciler.domain.tenant import Assignment, TargetKind
from reconciler.sandbox import Sandbox
from reconciler.sandbox._faults import FAULT_KINDS
from tests.connectors._intune import CANARY, LAB, STORE, connector_for, required, windows_app
from tests.connectors._jamf import CANARY as JAMF_CANARY
from tests.connectors._jamf import LAB as JAMF_LAB
from tests.connectors._jamf import jamf_for, mac_app, scoped

FAULTS_20 = "429@*:0.05,503@*:0.05,500@*:0.03,reset@*:0.03,token-expiry@*:0.02,slow=50ms@*:0.02"
#: the mixed spec, then every kind alone on every path. A token rejected again right after
#: its refresh is an authentication failure by design (one refresh per 401), so token
#: expiry runs at a rate at which two in a row on one request do not occur in this run
SPECS = {
    "mixed-20%": FAULTS_20,
    "429": "429@*:0.2",
    "500": "500@*:0.2",
    "503": "503@*:0.2",
    "reset": "reset@*:0.2",
    "slow": "slow=20ms@*:0.2",
    "token-expiry": "token-expiry@*:0.03",
}


async def _sequence(sandbox: Sandbox, windows: bool) -> None:
    """Create, upload, assign twice and update three apps, let the fleet check in, observe."""
    connector: IntuneConnector | JamfConnector
    if windows:
        connector = connector_for(sandbox, report_page=7, directory_page=10)
        names, desired, assign = (
            ("7zip-24.08", "notepadplusplus-8.7.1", "sap-gui-8.00"),
            windows_app,
            required,
        )
        rings = (LAB, CANARY)
    else:
        connector = jamf_for(sandbox, inventory_page_size=25, page_size=2)
        names, desired, assign = ("7zip-24.08", "vlc-3.0.21", "zoom-6.2.10"), mac_app, scoped
        rings = (JAMF_LAB, JAMF_CANARY)
    for name in names:
        app = desired(name)
        app_id = await connector.create_app(app)
        await connector.upload_content(app_id, app, STORE)
        await connector.set_assignments(app_id, assign(rings[0]))
        await connector.set_assignments(app_id, assign(*rings))
        await connector.update_app(app_id, app)
    sandbox.advance(8)
    managed = (await connector.snapshot(list(rings))).managed()
    assert sorted(managed) == sorted(names)
    assert all(len(apps) == 1 for apps in managed.values())  # no duplicates...
    if windows:  # ...not even unseen ones
        assert len(sandbox.graph.apps) == 3
    else:
        assert len(sandbox.jamf.packages) == len(sandbox.jamf.policies) == 3
    targeted = sum(1 for d in sandbox.devices if d.ring in {"lab", "canary"})
    for (app,) in managed.values():
        assert app.content_ready and app.enabled
        assert sorted(a.group_id or "" for a in app.assignments) == sorted(rings)
        counts = app.install[rings[0]] + app.install[rings[1]]
        assert counts.reporting + counts.pending == targeted and counts.reporting > 0
    await connector.aclose()


@pytest.mark.parametrize("platform", ["windows", "macos"])
@pytest.mark.parametrize("spec", list(SPECS.values()), ids=list(SPECS))
async def test_a_sequence_completes_under_faults_without_duplicates(
    platform: str, spec: str
) -> None:
    windows = platform == "windows"
    async with Sandbox(
        devices_windows=60 if windows else 0,
        devices_macos=0 if windows else 120,
        faults=spec,
        seed=11,
        retry_after_seconds=0,
    ) as sandbox:
        await _sequence(sandbox, windows)
        counters = sandbox.counters()
        injected = counters["faultsInjected"]
        if len(sandbox.faults.rules) == 1:
            assert set(injected) == {sandbox.faults.rules[0].kind}
        assert set(injected) <= set(FAULT_KINDS)
        rate = sum(rule.rate for rule in sandbox.faults.rules)
        assert sum(injected.values()) >= rate * counters["total"] / 2  # faults really happened


@pytest.mark.parametrize(
    ("platform", "failing"), [("windows", "/v1.0/*"), ("macos", "/api/v1/packages")]
)
async def test_breaker_opens_on_a_failing_tenant_and_recovers(platform: str, failing: str) -> None:
    now = [0.0]
    breaker = CircuitBreaker(platform, failure_threshold=3, reset_timeout=60, clock=lambda: now[0])
    async with Sandbox(
        devices_windows=10, devices_macos=10, faults=f"503@{failing}:1", retry_after_seconds=0
    ) as sandbox:
        connector: IntuneConnector | JamfConnector = (
            connector_for(sandbox, attempts=1, breaker=breaker)
            if platform == "windows"
            else jamf_for(sandbox, attempts=1, breaker=breaker)
        )
        for _ in range(3):
            with pytest.raises(TransientTenantError):
                await connector.snapshot([])
        requests = sandbox.counters()["total"]
        with pytest.raises(CircuitOpenError) as opened:
            await connector.snapshot([])
        assert opened.value.requeue_after == 60
        assert sandbox.counters()["total"] == requests  # refused without calling
        sandbox.faults.rules = ()  # the tenant recovers
        now[0] = 61
        assert (await connector.snapshot([])).apps == ()
        await connector.aclose()


async def test_portal_drift_made_by_hand_is_visible() -> None:
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


@pytest.mark.parametrize("platform", ["windows", "macos"])
async def test_a_401_triggers_exactly_one_token_refresh(platform: str) -> None:
    async with Sandbox(devices_windows=10, devices_macos=10) as sandbox:
        connector: IntuneConnector | JamfConnector = (
            connector_for(sandbox) if platform == "windows" else jamf_for(sandbox)
        )
        client = connector.graph if isinstance(connector, IntuneConnector) else connector.jamf
        credentials = client.credentials
        assert isinstance(credentials, ClientCredentials)
        await connector.snapshot([])
        assert credentials.issued == 1
        before = sandbox.counters()["total"]
        sandbox.revoke_tokens()  # every issued token is now invalid
        await connector.snapshot([])
        assert credentials.issued == 2
        await connector.snapshot([])
        assert credentials.issued == 2
        snapshot_calls = (sandbox.counters()["total"] - before - 1) // 2
        # the first call after the revocation was sent twice (401, then with the new token)
        assert sandbox.counters()["total"] - before == 2 * snapshot_calls + 1 + 1
        await connector.aclose()


class LosingTransport(httpx.AsyncHTTPTransport):
    """Real HTTP, but the answer to the first create is lost on the way back."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/mobileApps") and not self.lost:
            await response.aread()
            self.lost += 1
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


async def test_a_create_whose_answer_was_lost_is_not_repeated() -> None:
    apps_path = "/v1.0/deviceAppManagement/mobileApps"
    async with Sandbox(devices_windows=10, devices_macos=0) as sandbox:
        transport = LosingTransport()
        connector = connector_for(sandbox, transport=transport)
        app = windows_app("7zip-24.08")
        app_id = await connector.create_app(app)  # the service created it; the answer was lost
        assert transport.lost == 1 and list(sandbox.graph.apps) == [app_id]
        requests = sandbox.counters()["requests"]
        assert requests[f"POST {apps_path}"] == 1 and requests[f"GET {apps_path}"] == 1
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
