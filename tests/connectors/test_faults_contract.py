"""Faults, drift and the breaker, against the sandbox over real HTTP on 127.0.0.1."""

from __future__ import annotations

import httpx
import pytest

from reconciler.connectors import CircuitBreaker
from reconciler.domain.errors import CircuitOpenError, TransientTenantError
from reconciler.domain.tenant import Assignment, TargetKind
from reconciler.sandbox import Sandbox
from tests.connectors._intune import LAB, STORE, connector_for, required, windows_app

FAULTS_20 = "429@*:0.05,503@*:0.05,500@*:0.03,reset@*:0.03,token-expiry@*:0.02,slow=50ms@*:0.02"


async def test_operations_complete_under_20_percent_faults_without_duplicates() -> None:
    async with Sandbox(
        devices_windows=50, devices_macos=0, faults=FAULTS_20, seed=11, retry_after_seconds=0
    ) as sandbox:
        connector = connector_for(sandbox)
        names = ("7zip-24.08", "notepadplusplus-8.7.1", "sap-gui-8.00")
        for name in names:
            app = windows_app(name)
            app_id = await connector.create_app(app)
            await connector.upload_content(app_id, app, STORE)
            await connector.set_assignments(app_id, required(LAB))
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
