"""Faults, drift and the breaker, against the sandbox over real HTTP on 127.0.0.1."""

from __future__ import annotations

import httpx
import pytest

from reconciler.connectors import (
    CircuitBreaker,
    ClientCredentials,
    IntuneConnector,
    LocalPackageStore,
    RetryPolicy,
    ServiceClient,
    new_http_client,
)
from reconciler.domain.errors import CircuitOpenError, TransientTenantError
from reconciler.domain.loader import load_repo
from reconciler.domain.render import desired_apps
from reconciler.domain.tenant import Assignment, AssignmentIntent, Platform, TargetKind
from reconciler.sandbox import Sandbox
from tests.conftest import EXAMPLE_REPO

GRAPH_SCOPE = "https://graph.microsoft.com/.default"

REPO = load_repo(EXAMPLE_REPO).repo
STORE = LocalPackageStore(EXAMPLE_REPO)
LAB = "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01"
FAULTS_20 = "429@*:0.05,503@*:0.05,500@*:0.03,reset@*:0.03,token-expiry@*:0.02,slow=50ms@*:0.02"


def connector_for(
    sandbox: Sandbox, *, attempts: int = 10, breaker: CircuitBreaker | None = None
) -> IntuneConnector:
    http = new_http_client(max_connections=10)
    graph = ServiceClient(
        base_url=sandbox.graph_v1_url,
        service="graph",
        credentials=ClientCredentials(
            http, [sandbox.token_url], sandbox.client_id, sandbox.client_secret, scope=GRAPH_SCOPE
        ),
        client=http,
        retry=RetryPolicy(attempts=attempts, initial=0.001, maximum=0.01),
        breaker=breaker or CircuitBreaker("graph", failure_threshold=1000),
    )

    async def no_wait(_: float) -> None:
        return None

    return IntuneConnector(graph, page_size=5, sleep=no_wait)


async def test_operations_complete_under_20_percent_faults_without_duplicates() -> None:
    async with Sandbox(
        devices_windows=50, devices_macos=0, faults=FAULTS_20, seed=11, retry_after_seconds=0
    ) as sandbox:
        connector = connector_for(sandbox)
        names = ("7zip-24.08", "notepadplusplus-8.7.1", "sap-gui-8.00")
        for name in names:
            app = next(
                a for a in desired_apps(REPO.intents[name]) if a.platform is Platform.WINDOWS
            )
            app_id = await connector.create_app(app)
            await connector.upload_content(app_id, app, STORE)
            await connector.set_assignments(
                app_id, [Assignment(TargetKind.GROUP, LAB, AssignmentIntent.REQUIRED)]
            )
        snapshot = await connector.snapshot([LAB])
        managed = snapshot.managed()
        assert sorted(managed) == sorted(names)
        assert all(len(apps) == 1 for apps in managed.values())  # no duplicates
        for (app,) in managed.values():
            assert app.content_ready and [a.group_id for a in app.assignments] == [LAB]
        assert len(sandbox.graph.apps) == 3
        assert sum(sandbox.counters()["faultsInjected"].values()) > 10  # faults really happened
        await connector.aclose()


async def test_breaker_opens_on_a_failing_tenant_and_recovers() -> None:
    now = [0.0]
    breaker = CircuitBreaker("graph", failure_threshold=3, reset_timeout=60, clock=lambda: now[0])
    async with Sandbox(
        devices_windows=10, devices_macos=0, faults="503@/v1.0/*:1", retry_after_seconds=0
    ) as sandbox:
        connector = connector_for(sandbox, attempts=1, breaker=breaker)
        for _ in range(3):
            with pytest.raises(TransientTenantError):
                await connector.snapshot([])
        requests = sandbox.counters()["total"]
        with pytest.raises(CircuitOpenError):
            await connector.snapshot([])
        sandbox.faults.rules = ()  # the tenant recovers
        now[0] = 61
        assert (await connector.snapshot([])).apps == ()
        assert sandbox.counters()["total"] == requests + 1
        await connector.aclose()


async def test_portal_drift_made_by_hand_is_visible() -> None:
    async with Sandbox(devices_windows=10, devices_macos=0) as sandbox:
        connector = connector_for(sandbox)
        app = next(
            a for a in desired_apps(REPO.intents["7zip-24.08"]) if a.platform is Platform.WINDOWS
        )
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
