"""Reconcile passes against the sandbox for 50 / 500 / 2,000 intents: time and HTTP calls.

For each size a synthetic fleet repo (every intent a Windows + macOS app like 7-Zip) is
reconciled twice against a fresh in-process sandbox: a first full pass (creates, uploads,
assigns every app into lab) and a steady-state pass with nothing changed. It prints time,
HTTP calls (reads and writes) and, for the steady pass, the reads against the minimum the
APIs need to observe the same state (the floor of ``benchmarks/connectors.py``). Run on
demand: ``.venv/bin/python benchmarks/reconcile.py [--sizes 50,500,2000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import shutil
import tempfile
import time
from pathlib import Path

import yaml

from reconciler import logs
from reconciler.compose import build_reconciler
from reconciler.compose.connectors import close_all, sandbox_connectors
from reconciler.connectors import RetryPolicy
from reconciler.connectors.graph.devices import DIRECTORY_PAGE
from reconciler.connectors.graph.reads import BATCH_SIZE
from reconciler.domain.loader import load_repo
from reconciler.domain.ports import Revision, TenantConnector
from reconciler.domain.trust import TrustedVersion, TrustRoot
from reconciler.engine import StateStore
from reconciler.policy import EmbeddedEngine, load_policy_set
from reconciler.sandbox import Sandbox

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "fleet-repo"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def build_fleet(target: Path, intents: int) -> Path:
    target.mkdir(parents=True)
    for part in ("fleet.yaml", "risk-models", "packages"):
        source = EXAMPLE / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        else:
            shutil.copyfile(source, target / part)
    template = yaml.safe_load((EXAMPLE / "intents" / "7zip-24.08.yaml").read_text())
    (target / "intents").mkdir()
    for n in range(intents):
        document = yaml.safe_load(yaml.safe_dump(template))
        name = f"app{n:04d}-1.{n}"
        document["metadata"]["name"] = name
        document["spec"]["app"]["name"] = f"App {n:04d}"
        document["spec"]["app"]["version"] = f"1.{n}"
        document["spec"]["rollout"].pop("supersedes")
        (target / "intents" / f"{name}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return target


def split(counters: dict[str, int]) -> tuple[int, int, int, int]:
    """(graph reads, graph writes, jamf reads, jamf writes); $batch of GETs counts as a read,
    token requests are left out."""
    totals = [0, 0, 0, 0]
    for key, count in counters.items():
        method, path = key.split(" ", 1)
        if "oauth" in path or "token" in path or path.endswith("($batch)"):
            continue  # tokens, and requests carried inside a $batch call
        jamf = path.startswith(("/api/", "/JSSResource"))
        write = method in WRITES and not path.endswith("$batch")
        totals[(2 if jamf else 0) + (1 if write else 0)] += count
    return totals[0], totals[1], totals[2], totals[3]


def observe_floor(intents: int, sandbox: Sandbox) -> tuple[int, int]:
    """Fewest reads that observe apps, assignments and install status (at lab)."""
    windows = [d for d in sandbox.devices if d.platform == "windows"]
    macs = [d for d in sandbox.devices if d.platform == "macos"]
    rings = [r.name for r in sandbox.rings]
    sizes = [sum(1 for d in windows if d.ring == r) for r in rings]
    graph = (
        math.ceil(intents / 100)  # app pages
        + math.ceil(intents / BATCH_SIZE)  # assignments
        + sum(max(1, math.ceil(s / DIRECTORY_PAGE)) for s in sizes)  # ring members
        + math.ceil(len(windows) / DIRECTORY_PAGE)  # managed devices
        + math.ceil(intents / BATCH_SIZE)  # one report page per app at lab, batched
    )
    jamf = math.ceil(intents / 100) + 1 + intents + math.ceil(len(macs) / 500)
    return graph, jamf


def lift_graph_budget(connectors: dict[str, TenantConnector]) -> None:
    """Measure the engine, not Intune's throttle: drop the 100-writes-per-20-s budget."""
    graph = getattr(connectors["intune"], "graph", None)
    if graph is not None:
        graph.budget = graph.request_budget = None


def first_trust(repo: Path) -> TrustRoot:
    """A trust root that trusts the generated fleet's config and risk model first."""
    loaded = load_repo(repo).repo
    fleet, model = loaded.fleet, loaded.risk_model
    assert fleet is not None and model is not None
    return TrustRoot(
        trusted=frozenset(
            {
                TrustedVersion("FleetConfig", fleet.name, fleet.digest),
                TrustedVersion("RiskModel", model.name, model.digest),
            }
        )
    )


async def measure(intents: int, budget: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        repo = build_fleet(Path(scratch) / "fleet", intents)
        async with Sandbox(fleet=repo / "fleet.yaml") as sandbox:
            connectors = sandbox_connectors(sandbox, retry=RetryPolicy(initial=0.01, maximum=0.1))
            if not budget:
                lift_graph_budget(connectors)
            store = StateStore(Path(scratch) / "state.db")
            reconciler = build_reconciler(
                connectors=connectors,
                policy=EmbeddedEngine(load_policy_set()),
                store=store,
                clock=sandbox.now,
                concurrency=16,
                trust=first_trust(repo),
            )
            revision = Revision(str(repo), "", "")
            rows = []
            for label in ("first pass", "steady pass"):
                sandbox.reset_counters()
                started = time.perf_counter()
                result = await reconciler.reconcile(revision)
                seconds = time.perf_counter() - started
                g_read, g_write, j_read, j_write = split(sandbox.counters()["requests"])
                rows.append((label, seconds, g_read, g_write, j_read, j_write, result.writes))
            floor = observe_floor(intents, sandbox)
            store.close()
            await close_all(connectors)
    print(f"\n{intents} intents (Windows + macOS each), 2,000 Windows devices, 800 Macs")
    print(f"  {'':12} {'time':>8} {'Graph reads':>12} {'Graph writes':>13} "
          f"{'Jamf reads':>11} {'Jamf writes':>12} {'engine writes':>14}")  # fmt: skip
    for label, seconds, g_read, g_write, j_read, j_write, writes in rows:
        print(f"  {label:12} {seconds:7.1f}s {g_read:12} {g_write:13} {j_read:11} "
              f"{j_write:12} {writes:14}")  # fmt: skip
    _, _, g_read, _, j_read, _, _ = rows[1]
    first_graph_writes = rows[0][3]
    if not budget:
        print(
            f"  (Graph's write budget lifted; with Intune's documented 100 writes per 20 s the "
            f"first pass's {first_graph_writes} Graph writes need at least "
            f"{first_graph_writes / 5:.0f}s)"
        )
    print(
        f"  steady-state reads vs minimum to observe: Graph {g_read} / {floor[0]}, "
        f"Jamf {j_read} / {floor[1]} (Classic API: one read per policy)"
    )


async def main(sizes: list[int], budget: bool) -> None:
    logs.configure(level="error")
    for size in sizes:
        await measure(size, budget)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50,500,2000")
    parser.add_argument(
        "--graph-budget", action="store_true", help="keep Intune's write budget (slow first pass)"
    )
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], args.graph_budget))
