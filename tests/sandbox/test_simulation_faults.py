"""Simulated fleet and clock, fault injection determinism, portal-drift admin API."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reconciler.sandbox import FaultSpecError, Sandbox, parse_faults
from tests.sandbox.conftest import FLEET, LAB_GROUP, graph_token, publish_app, required

APPS = "/deviceAppManagement/mobileApps"


def test_devices_spread_by_devices_expected() -> None:
    sb = Sandbox(seed=3, fleet=FLEET)
    windows = [d for d in sb.devices if d.platform == "windows"]
    macs = [d for d in sb.devices if d.platform == "macos"]
    assert (len(windows), len(macs)) == (2000, 800)
    per_ring = {
        ring: sum(1 for d in windows if d.ring == ring)
        for ring in ("lab", "canary", "pilot", "broad", "global")
    }
    assert per_ring == {"lab": 43, "canary": 100, "pilot": 300, "broad": 700, "global": 857}
    assert len(sb.graph.groups[LAB_GROUP].members) == 43
    assert len(sb.jamf.groups[101].members) == sum(1 for d in macs if d.ring == "lab")


def test_fault_grammar() -> None:
    rules = parse_faults(
        "429@/v1.0/deviceAppManagement/*:0.2,503@*:0.05,slow=2s@/api/*:0.1,reset@*:0.05,token-expiry@*:0.1,slow=250ms@*:1"
    )
    assert [r.kind for r in rules] == ["429", "503", "slow", "reset", "token-expiry", "slow"]
    assert rules[2].delay_seconds == 2.0 and rules[5].delay_seconds == 0.25
    for bad in ("418@*:0.1", "429@*:1.5", "429:0.1", "slow=fast@*:0.1"):
        with pytest.raises(FaultSpecError):
            parse_faults(bad)


async def _statuses(seed: int) -> list[int | str]:
    async with Sandbox(
        devices_windows=10,
        devices_macos=5,
        seed=seed,
        faults="429@/v1.0/*:0.3,503@/v1.0/*:0.1,reset@/v1.0/*:0.1",
    ) as sb:
        out: list[int | str] = []
        async with httpx.AsyncClient() as client:
            token = await graph_token(client, sb)
            for _ in range(40):
                try:
                    response = await client.get(
                        f"{sb.graph_v1_url}/deviceManagement/managedDevices",
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    out.append(response.status_code)
                    if response.status_code == 429:
                        assert response.headers["Retry-After"] == "1"
                        assert response.json()["error"]["code"] == "TooManyRequests"
                except httpx.TransportError:
                    out.append("reset")
        return out


async def test_faults_are_deterministic_per_seed() -> None:
    first, again, other = await _statuses(5), await _statuses(5), await _statuses(6)
    assert first == again
    assert first != other
    assert {200, 429, "reset"} <= set(first)


async def test_token_expiry_fault_and_slow() -> None:
    async with Sandbox(
        devices_windows=5,
        devices_macos=2,
        faults="token-expiry@/api/v1/packages:1,slow=200ms@/v1.0/*:1",
    ) as sb:
        async with httpx.AsyncClient() as client:
            token = (
                await client.post(
                    sb.jamf_url + "/api/oauth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": sb.jamf_client_id,
                        "client_secret": sb.jamf_client_secret,
                    },
                )
            ).json()["access_token"]
            expired = await client.get(
                sb.jamf_url + "/api/v1/packages", headers={"Authorization": f"Bearer {token}"}
            )
            assert expired.status_code == 401
            graph = await graph_token(client, sb)
            loop = asyncio.get_running_loop()
            started = loop.time()
            await client.get(sb.graph_v1_url + APPS, headers={"Authorization": f"Bearer {graph}"})
            assert loop.time() - started >= 0.2
        assert sb.counters()["faultsInjected"] == {"token-expiry": 1, "slow": 1}


async def test_install_status_evolves_with_clock_and_bad_build(
    sandbox: Sandbox, graph: httpx.AsyncClient
) -> None:
    good = await publish_app(graph)
    bad = await publish_app(
        graph,
        {**(await graph.get(f"{APPS}/{good}")).json(), "displayName": "Broken 1.0", "notes": None},
    )
    everyone = [required(g) for g in sandbox.graph.groups]
    for app_id in (good, bad):
        await graph.post(f"{APPS}/{app_id}/assign", json={"mobileAppAssignments": everyone})
    sandbox.set_failure_rate("Broken 1.0", 0.3)

    def states(app_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for device in sandbox.graph.devices:
            state = device.app_states.get(app_id, ("pending", "", None))[0]
            counts[state] = counts.get(state, 0) + 1
        return counts

    assert states(good) == {"pending": 280}
    sandbox.advance(hours=2)
    partial = states(good)
    assert 0 < partial.get("installed", 0) < 280
    sandbox.advance(hours=6)
    # every online device checked in within 8 hours; the others come later
    online = sum(1 for d in sandbox.graph.devices if d.connectivity == "online")
    assert 0.75 * 280 < online < 280
    assert states(good).get("installed", 0) >= online - 3
    bad_states = states(bad)
    assert 0.15 < bad_states["failed"] / (280 - bad_states["pending"]) < 0.45
    # A broken build fails on the same devices at every retry: the rate does not heal.
    sandbox.advance(hours=8)
    assert states(bad)["failed"] == bad_states["failed"]
    # Uninstall intent removes the app.
    await graph.post(
        f"{APPS}/{good}/assign", json={"mobileAppAssignments": [required(LAB_GROUP, "uninstall")]}
    )
    sandbox.advance(hours=8)
    lab = [d for d in sandbox.graph.devices if d.ring == "lab" and d.connectivity == "online"]
    assert lab
    assert all(d.app_states[good][0] in {"notInstalled", "uninstallFailed"} for d in lab)


async def test_same_seed_same_tenant_after_same_advances() -> None:
    async def run() -> list[tuple[str, str]]:
        async with Sandbox(devices_windows=60, devices_macos=10, seed=9, fleet=FLEET) as sb:  # noqa: SIM117  (client needs sb)
            async with httpx.AsyncClient(base_url=sb.graph_v1_url) as client:
                client.headers["Authorization"] = f"Bearer {await graph_token(client, sb)}"
                app_id = await publish_app(client)
                await client.post(
                    f"{APPS}/{app_id}/assign",
                    json={"mobileAppAssignments": [required(g) for g in sb.graph.groups]},
                )
                sb.set_failure_rate("7zip-24.08", 0.5)  # by ownership-marker intent name
                sb.advance(hours=3)
                sb.advance(hours=5)
                return sorted(
                    (d.name, d.app_states[app_id][0])
                    for d in sb.graph.devices
                    if app_id in d.app_states
                )

    first, second = await run(), await run()
    assert first == second
    assert {s for _, s in first} == {"installed", "failed"}


async def test_admin_api_drift_and_counters(sandbox: Sandbox, graph: httpx.AsyncClient) -> None:
    app_id = await publish_app(graph)
    await graph.post(
        f"{APPS}/{app_id}/assign", json={"mobileAppAssignments": [required(LAB_GROUP)]}
    )
    async with httpx.AsyncClient(base_url=sandbox.admin_url) as admin:
        assert (
            await admin.post("/drift/assign-all-devices", json={"appId": app_id})
        ).status_code == 200
        assert (
            await admin.post(
                "/drift/install-command", json={"appId": app_id, "installCommandLine": "evil.exe"}
            )
        ).status_code == 200
        assignments = (await graph.get(f"{APPS}/{app_id}/assignments")).json()["value"]
        assert {a["target"]["@odata.type"] for a in assignments} == {
            "#microsoft.graph.groupAssignmentTarget",
            "#microsoft.graph.allDevicesAssignmentTarget",
        }
        assert (await graph.get(f"{APPS}/{app_id}")).json()["installCommandLine"] == "evil.exe"
        clock = (await admin.post("/clock/advance", json={"hours": 8})).json()["now"]
        assert clock == "2026-11-20T16:00:00Z"
        counters = (await admin.get("/counters")).json()
        assert counters["requests"]["POST /v1.0/deviceAppManagement/mobileApps/{id}/assign"] == 1
        assert counters["writes"] >= 8
        assert not any(
            k.startswith(("GET /_sandbox", "POST /_sandbox")) for k in counters["requests"]
        )
        assert (await admin.post("/drift/delete-app", json={"appId": app_id})).status_code == 200
        assert (await graph.get(f"{APPS}/{app_id}")).status_code == 404
        assert (await admin.post("/drift/disable-policy", json={"policyId": 77})).status_code == 404
        assert (await admin.post("/failure-rate", json={"name": "x", "rate": 2})).status_code == 400
        assert (await admin.post("/reset", json={})).status_code == 200
        assert (await admin.get("/counters")).json()["total"] == 0
