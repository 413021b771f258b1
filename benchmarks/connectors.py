"""Benchmark: HTTP calls the Intune connector needs to read the full state of N managed apps.

Seeds the sandbox with N managed, published, assigned win32 apps and a fleet that has
reported installs, then takes one snapshot (apps, assignments, install status per ring
group) and prints the calls by kind next to the floor for the same page sizes. Run on demand:

    .venv/bin/python benchmarks/connectors.py [--apps 500] [--devices 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
import uuid
from collections import Counter

from reconciler import logs
from reconciler.connectors import ClientCredentials, IntuneConnector, ServiceClient, new_http_client
from reconciler.connectors._intune import BATCH_SIZE, REPORT_PAGE
from reconciler.domain.tenant import format_marker
from reconciler.sandbox import Sandbox
from reconciler.sandbox._graph import App

RING_GROUPS = [
    "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01",
    "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b02",
    "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b03",
    "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b04",
    "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b05",
]


async def main(apps: int, devices: int) -> None:
    logs.configure(level="warning")
    groups = RING_GROUPS
    async with Sandbox(devices_windows=devices, devices_macos=0, seed=1) as sandbox:
        state = sandbox.graph
        for n in range(apps):
            app_id = str(uuid.UUID(int=n + 1, version=4))
            data = {
                "@odata.type": "#microsoft.graph.win32LobApp",
                "id": app_id,
                "displayName": f"App {n}",
                "publisher": "Contoso",
                "notes": format_marker(f"app-{n}", "sha256:" + "0" * 64),
                "publishingState": "published",
                "installCommandLine": "setup.exe /S",
            }
            ring = groups[: 1 + n % len(groups)]
            assignments = [
                {
                    "id": f"{g}_0_0",
                    "intent": "required",
                    "target": {
                        "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                        "groupId": g,
                    },
                    "settings": None,
                }
                for g in ring
            ]
            state.apps[app_id] = App(data, assignments)
        sandbox.advance(24)
        http = new_http_client(max_connections=10)
        graph = ServiceClient(
            base_url=sandbox.graph_v1_url,
            service="graph",
            credentials=ClientCredentials(
                http,
                [sandbox.token_url],
                sandbox.client_id,
                sandbox.client_secret,
                scope="https://graph.microsoft.com/.default",
            ),
            client=http,
        )
        connector = IntuneConnector(graph)
        paths: Counter[str] = Counter()

        async def count(request: object) -> None:
            path = request.url.path  # type: ignore[attr-defined]
            if path.endswith("/token"):
                paths["token"] += 1
            elif path.endswith("$batch"):
                paths["$batch"] += 1
            elif "/groups/" in path:
                paths["group members"] += 1
            else:
                paths[path.rsplit("/", 1)[-1]] += 1

        http.event_hooks["request"].append(count)
        started = time.perf_counter()
        snapshot = await connector.snapshot(groups)
        elapsed = time.perf_counter() - started
        await connector.aclose()

    managed = snapshot.managed()
    reporting = sum(c.reporting for apps_ in managed.values() for c in apps_[0].install.values())
    ring_of = {"lab": 0, "canary": 1, "pilot": 2, "broad": 3, "global": 4}
    group_sizes = Counter(
        groups[ring_of[d.ring]] for d in sandbox.devices if d.platform == "windows"
    )
    report_pages = sum(
        math.ceil(sum(group_sizes[g] for g in groups[: 1 + n % len(groups)]) / REPORT_PAGE)
        for n in range(apps)
    )
    floor = {
        "app list pages (100 a page)": math.ceil(apps / 100),
        "assignments ($batch of 20)": math.ceil(apps / BATCH_SIZE),
        "ring group members (999 a page)": sum(math.ceil(s / 999) for s in group_sizes.values()),
        "managedDevices (999 a page)": math.ceil(devices / 999),
        f"install report pages ({report_pages}, $batch of 20)": math.ceil(
            report_pages / BATCH_SIZE
        ),
    }
    print(f"{apps} managed apps, {devices} devices, {reporting} install results, {elapsed:.1f}s")
    print(f"HTTP calls by endpoint: {dict(paths)}")
    print(f"total API calls: {snapshot.requests}")
    for label, value in floor.items():
        print(f"  floor {label:34} {value}")
    print(f"floor for this design: {sum(floor.values())}")
    print(
        "absolute floor with $expand=assignments on the app list: "
        f"{sum(floor.values()) - floor['assignments ($batch of 20)']}"
        f" (reports pages of {REPORT_PAGE} rows)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=500)
    parser.add_argument("--devices", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main(args.apps, args.devices))
