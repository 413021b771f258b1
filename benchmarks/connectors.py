"""Benchmark: HTTP calls the connectors need to read the full state of N managed apps.

Seeds the sandbox with N managed, published Intune win32 apps assigned to 1–5 ring groups
and N managed Jamf Pro packages with install policies scoped the same way, lets the
simulated fleet check in for a day, then takes one snapshot per platform (apps,
assignments, install status per ring group) and prints the calls by endpoint next to the
minimum the APIs allow for the same data. Run on demand:

    .venv/bin/python benchmarks/connectors.py [--apps 500] [--devices 2000] [--macs 800]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
import uuid
from collections import Counter

import httpx

from reconciler import logs
from reconciler.connectors import (
    IntuneConnector,
    IntuneSettings,
    JamfConnector,
    JamfSettings,
    intune_connector,
    jamf_connector,
)
from reconciler.connectors.graph.devices import DIRECTORY_PAGE
from reconciler.connectors.graph.reads import BATCH_SIZE
from reconciler.connectors.graph.report import REPORT_PAGE
from reconciler.domain.tenant import format_marker
from reconciler.sandbox import Sandbox
from reconciler.sandbox.graph import App

RINGS = ("lab", "canary", "pilot", "broad", "global")
INTUNE_GROUPS = [f"3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b0{n}" for n in range(1, 6)]
JAMF_GROUPS = [str(101 + n) for n in range(5)]
DIGEST = "sha256:" + "0" * 64


def seed_intune(sandbox: Sandbox, apps: int) -> None:
    for n in range(apps):
        app_id = str(uuid.UUID(int=n + 1, version=4))
        data = {
            "@odata.type": "#microsoft.graph.win32LobApp",
            "id": app_id,
            "displayName": f"App {n}",
            "publisher": "Contoso",
            "notes": format_marker(f"app-{n}", DIGEST),
            "publishingState": "published",
            "installCommandLine": "setup.exe /S",
        }
        assignments = [
            {
                "id": f"{g}_0_0",
                "intent": "required",
                "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": g},
                "settings": None,
            }
            for g in INTUNE_GROUPS[: 1 + n % len(INTUNE_GROUPS)]
        ]
        sandbox.graph.apps[app_id] = App(data, assignments)


def seed_jamf(sandbox: Sandbox, apps: int) -> None:
    for n in range(apps):
        body = {
            "packageName": f"App {n}",
            "fileName": f"app-{n}-1.0.pkg",
            "categoryId": "-1",
            "priority": 10,
            "fillUserTemplate": False,
            "rebootRequired": False,
            "osInstall": False,
            "suppressUpdates": False,
            "suppressFromDock": False,
            "suppressEula": False,
            "suppressRegistration": False,
            "notes": format_marker(f"app-{n}", DIGEST) + f"\nbundleId=com.contoso.app{n} "
            "bundleVersion=1.0",
        }
        package_id = sandbox.jamf.create_package(body).body["id"]
        sandbox.jamf.uploads[int(package_id)] = b"\0" * 1000
        groups = "".join(
            f"<computer_group><id>{g}</id></computer_group>"
            for g in JAMF_GROUPS[: 1 + n % len(JAMF_GROUPS)]
        )
        sandbox.jamf.write_policy(
            0,
            f"<policy><general><name>App {n} (eucora:app-{n})</name><enabled>true</enabled>"
            "<frequency>Once per computer</frequency><trigger_checkin>true</trigger_checkin>"
            f"</general><scope><computer_groups>{groups}</computer_groups></scope>"
            "<package_configuration><packages><package>"
            f"<id>{package_id}</id><action>Install</action></package></packages>"
            "</package_configuration></policy>",
            create=True,
        )
    sandbox.jamf.refresh_inventory()  # Jamf Cloud computes size and hashes


def counter(paths: Counter[str]) -> object:
    async def count(request: httpx.Request) -> None:
        path = request.url.path
        if path.endswith("/token"):
            paths["token"] += 1
        elif path.endswith("$batch"):
            paths["$batch"] += 1
        elif "/groups/" in path:
            paths["group members"] += 1
        elif "/computerhistory/" in path:
            paths["policy logs (per computer)"] += 1
        elif path.startswith("/JSSResource/policies/id/"):
            paths["policy (per policy)"] += 1
        else:
            paths[path.rsplit("/", 1)[-1]] += 1

    return count


def ring_sizes(sandbox: Sandbox, platform: str) -> list[int]:
    """Devices per ring, in ring order."""
    sizes = Counter(d.ring for d in sandbox.devices if d.platform == platform)
    return [sizes[r] for r in RINGS]


async def measure(
    connector: IntuneConnector | JamfConnector, groups: list[str]
) -> tuple[Counter[str], int, float, int]:
    client = connector.graph if isinstance(connector, IntuneConnector) else connector.jamf
    paths: Counter[str] = Counter()
    client.client.event_hooks["request"].append(counter(paths))
    started = time.perf_counter()
    snapshot = await connector.snapshot(groups)
    elapsed = time.perf_counter() - started
    await connector.aclose()
    reporting = sum(
        c.reporting for apps in snapshot.managed().values() for c in apps[0].install.values()
    )
    return paths, snapshot.requests, elapsed, reporting


def show(title: str, paths: Counter[str], total: int, floor: dict[str, int]) -> None:
    print(f"\n{title}")
    print(f"  HTTP calls by endpoint: {dict(paths)}")
    print(f"  API calls (retries included, token excluded): {total}")
    for label, value in floor.items():
        print(f"    minimum {label:58} {value}")
    print(f"  minimum the API allows for the same data: {sum(floor.values())}")


async def main(apps: int, devices: int, macs: int) -> None:
    logs.configure(level="warning")
    async with Sandbox(devices_windows=devices, devices_macos=macs, seed=1) as sandbox:
        seed_intune(sandbox, apps)
        seed_jamf(sandbox, apps)
        sandbox.set_failure_rate("app-0", 0.3)  # one bad build on each platform
        started = time.perf_counter()
        sandbox.advance(24)
        simulated = time.perf_counter() - started
        intune = intune_connector(
            IntuneSettings(
                tenant_id=sandbox.tenant_id,
                client_id=sandbox.client_id,
                client_secret=sandbox.client_secret,
                graph_url=sandbox.graph_v1_url,
                authority_url=sandbox.authority_url,
            )
        )
        jamf = jamf_connector(
            JamfSettings(
                url=sandbox.jamf_url,
                client_id=sandbox.jamf_client_id,
                client_secret=sandbox.jamf_client_secret,
            )
        )
        win_paths, win_total, win_time, win_results = await measure(intune, INTUNE_GROUPS)
        mac_paths, mac_total, mac_time, mac_results = await measure(jamf, JAMF_GROUPS)
        windows_sizes = ring_sizes(sandbox, "windows")
        failed_macs = len(
            {
                d.jamf_id
                for d in sandbox.devices
                if d.platform == "macos"
                and any(state == "failed" for state, _, _ in d.app_states.values())
            }
        )

    print(
        f"{apps} managed apps per platform, {devices} Windows devices, {macs} Macs "
        f"(fleet simulated for 24 h in {simulated:.1f}s)"
    )
    report_pages = sum(
        math.ceil(sum(windows_sizes[: 1 + n % len(RINGS)]) / REPORT_PAGE) for n in range(apps)
    )
    show(
        f"Intune: {win_results} install results read in {win_time:.1f}s",
        win_paths,
        win_total,
        {
            "app list pages (100 a page)": math.ceil(apps / 100),
            "assignments ($batch of 20)": math.ceil(apps / BATCH_SIZE),
            f"ring group members ({DIRECTORY_PAGE} a page)": sum(
                math.ceil(s / DIRECTORY_PAGE) for s in windows_sizes
            ),
            f"managedDevices ({DIRECTORY_PAGE} a page)": math.ceil(devices / DIRECTORY_PAGE),
            f"report pages ({report_pages} of {REPORT_PAGE} rows, $batch of 20)": math.ceil(
                report_pages / BATCH_SIZE
            ),
        },
    )
    print(
        "  ($expand=assignments on the app list, where the service allows it, would save "
        f"the {math.ceil(apps / BATCH_SIZE)} assignment batches)"
    )
    show(
        f"Jamf Pro: {mac_results} install results read in {mac_time:.1f}s",
        mac_paths,
        mac_total,
        {
            "package pages (100 a page)": math.ceil(apps / 100),
            "policy list (Classic)": 1,
            "policies, one read each (Classic has no bulk read)": apps,
            "inventory pages (500 a page)": math.ceil(macs / 500),
            f"policy logs of Macs with a failure ({failed_macs})": failed_macs,
        },
    )
    print(
        "  (policy logs are read only for Macs in scope without inventory evidence; a Mac "
        "still pending costs one read too)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=500)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--macs", type=int, default=800)
    args = parser.parse_args()
    asyncio.run(main(args.apps, args.devices, args.macs))
