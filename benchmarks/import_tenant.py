"""Benchmark: ``eucora import`` of a tenant with N hand-made apps, time and HTTP calls.

Seeds the sandbox with hand-made Intune win32LobApps and Jamf Pro packages, each with an
install policy (``Sandbox.seed_hand_made``; every third assigned to a ring group), reads
them all through the providers' ``import_objects`` and writes the drafts, then prints
the time, the calls by endpoint and the minimum the APIs allow for the same data:

* Intune: the win32LobApp list, one page per ``$top`` apps, and their assignments through
  ``$batch`` (20 per call);
* Jamf Pro: the package list, one page per page size; the Classic policy list (one call);
  every policy once (the Classic API has no bulk read of a policy's scope and packages).

Run on demand: ``.venv/bin/python benchmarks/import_tenant.py [--apps 2000]``
(half Windows, half macOS).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections import Counter
from pathlib import Path

from reconciler import logs
from reconciler.cli.import_ import write_drafts
from reconciler.compose.connectors import close_all, sandbox_connectors
from reconciler.connectors.graph.reads import BATCH_SIZE
from reconciler.domain.documents.imported import TenantObject, draft_intents
from reconciler.sandbox import Sandbox


async def run(apps: int) -> None:
    windows, macos = apps // 2, apps - apps // 2
    async with Sandbox(devices_windows=10, devices_macos=6) as sandbox:
        sandbox.seed_hand_made(windows, macos)
        connectors = sandbox_connectors(sandbox)
        sandbox.reset_counters()
        started = time.perf_counter()
        objects: list[TenantObject] = []
        for connector in connectors.values():
            reader = getattr(connector, "import_objects", None)
            if reader is not None:
                objects += await reader()
        read = time.perf_counter() - started
        result = draft_intents(objects, ring_of_group={}, ring_order=[], requester="bench@x")
        with tempfile.TemporaryDirectory() as out:
            write_drafts(result, Path(out))
        total = time.perf_counter() - started
        counters = sandbox.counters()
        await close_all(connectors)
    requests = Counter(
        {k: v for k, v in counters["requests"].items() if not k.split(" ", 1)[1].startswith("/_")}
    )
    graph_page, jamf_page = 100, 100
    minimum = {
        "intune list": math.ceil(windows / graph_page),
        "intune assignments ($batch)": math.ceil(windows / BATCH_SIZE),
        "jamf package list": math.ceil(macos / jamf_page),
        "jamf policy list": 1,
        "jamf policies": macos,
    }
    print(f"import of {len(objects)} objects ({windows} Intune, {macos} Jamf Pro)")
    print(f"read {read:.2f} s, read + drafts written {total:.2f} s, {len(result.drafts)} drafts")
    print("calls by endpoint:")
    for key, count in sorted(requests.items()):
        print(f"  {count:6d}  {key}")
    http = sum(v for k, v in requests.items() if not k.endswith("($batch)"))
    print(f"  {http:6d}  HTTP calls (token calls included; $batch inner requests are not calls)")
    print("minimum the APIs allow:")
    for key, count in minimum.items():
        print(f"  {count:6d}  {key}")
    print(f"  {sum(minimum.values()):6d}  total (token calls not counted)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=2000)
    args = parser.parse_args()
    logs.configure(level="warning")
    asyncio.run(run(args.apps))


if __name__ == "__main__":
    main()
