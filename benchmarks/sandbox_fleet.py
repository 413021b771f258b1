"""How fast the sandbox simulates and serves: run on demand, prints figures.

.venv/bin/python benchmarks/sandbox_fleet.py
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from reconciler.sandbox import Sandbox

FLEET = Path(__file__).resolve().parents[1] / "examples" / "fleet-repo" / "fleet.yaml"
APPS = 50


async def main() -> None:
    started = time.perf_counter()
    async with Sandbox(seed=1, fleet=FLEET) as sb:
        print(f"start 2,000 + 800 devices: {time.perf_counter() - started:.2f} s")
        async with httpx.AsyncClient(base_url=sb.graph_v1_url) as client:
            token = (
                await client.post(
                    sb.token_url,
                    data={
                        "client_id": sb.client_id,
                        "client_secret": sb.client_secret,
                        "scope": "https://graph.microsoft.com/.default",
                        "grant_type": "client_credentials",
                    },
                )
            ).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            for n in range(APPS):
                app = sb.graph.apps  # published directly: this measures simulation, not upload
                body = {
                    "@odata.type": "#microsoft.graph.win32LobApp",
                    "displayName": f"App {n}",
                    "publisher": "Bench",
                    "fileName": "a.intunewin",
                    "setupFilePath": "a.exe",
                    "installCommandLine": "a.exe",
                    "uninstallCommandLine": "u.exe",
                }
                created = (await client.post("/deviceAppManagement/mobileApps", json=body)).json()
                app[created["id"]].data["publishingState"] = "published"
                targets = [
                    {
                        "intent": "required",
                        "target": {
                            "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                            "groupId": g,
                        },
                    }
                    for g in sb.graph.groups
                ]
                await client.post(
                    f"/deviceAppManagement/mobileApps/{created['id']}/assign",
                    json={"mobileAppAssignments": targets},
                )
            t0 = time.perf_counter()
            sb.advance(hours=24)
            took = time.perf_counter() - t0
            print(f"advance 24 h, {APPS} apps x 2,000 Windows devices: {took:.2f} s")
            t0 = time.perf_counter()
            n_requests = 200
            for _ in range(n_requests):
                await client.get("/deviceManagement/managedDevices?$top=100")
            elapsed = time.perf_counter() - t0
            print(f"GET managedDevices page: {n_requests / elapsed:.0f} requests/s sequential")
            print(f"counters: total={sb.counters()['total']} writes={sb.counters()['writes']}")


if __name__ == "__main__":
    asyncio.run(main())
