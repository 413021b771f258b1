"""The operator end to end for 20 / 100 intents: time to status, Kubernetes API calls.

For each size a synthetic fleet repo (every intent a Windows + macOS app like 7-Zip, as in
``benchmarks/reconcile.py``) is put in a local git repo; one operator process (the real
kopf machinery) runs against kmock's emulated API server (with the resourceVersion
stamping of ``tests/operator/_apiserver.py``) and the in-process sandbox. It prints:

- first pass: seconds from start until every intent has its status, and the Kubernetes
  API calls by verb (materializing, status patches, Events);
- a second pass (requested with the reconcile annotation, clock not moved): the intents
  go from Progressing to Holding (soak time), so each status changes once more;
- a quiet pass (requested again, nothing changed): seconds and Kubernetes calls — status
  patches and Events should be 0;
- the process's peak RSS.

Each line also gives the engine pass's own seconds. Time to status beyond it is spent
mostly in the emulated API server: kmock matches every request against its filters
(about two thirds of the CPU at 40 intents, by cProfile), so those seconds measure kmock,
not a real API server. Graph's write budget is lifted, as in ``benchmarks/reconcile.py``.
Run on demand:
``.venv/bin/python benchmarks/operator_passes.py [--sizes 20,100]``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test API server lives with the tests

import git  # noqa: E402
import httpx  # noqa: E402
import kmock  # noqa: E402
import kopf  # noqa: E402
from reconcile import build_fleet  # type: ignore[import-not-found]  # noqa: E402

from reconciler import logs  # noqa: E402
from reconciler.connectors import RetryPolicy  # noqa: E402
from reconciler.operator import (  # noqa: E402
    GitSourceService,
    OperatorConfig,
    Wiring,
    _engines,
)
from reconciler.operator._kube import KubeClient  # noqa: E402
from reconciler.sandbox import Sandbox  # noqa: E402
from tests.operator._apiserver import ApiServer  # noqa: E402
from tests.operator.conftest import API_SERVER as SERVER  # noqa: E402  (its login handler)
from tests.operator.conftest import (  # noqa: E402
    TRUST_ROOT,
    git_source,
    registry_for,
    secret,
    state_of,
)

GS = "eucora.io/v1alpha1/gitsources"
RECONCILE = "eucora.io/reconcile-requested-at"


class CountingApiServer(ApiServer):
    """Counts requests by verb and resource plural (watch streams count once)."""

    calls: ClassVar[collections.Counter[str]] = collections.Counter()

    async def _handle(self, request: Any) -> Any:
        if request.resource is not None and request.action is not None:
            plural = f"{request.resource.plural or request.resource}" + (
                f"/{request.subresource}" if request.subresource else ""
            )
            self.calls[f"{request.action.value} {plural}"] += 1
        return await super()._handle(request)


def _unbudgeted(*args: Any, **kwargs: Any) -> Any:
    connectors = _settings_connectors(*args, **kwargs)
    graph = getattr(connectors.get("intune"), "graph", None)
    if graph is not None:
        graph.budget = graph.request_budget = None
    return connectors


_settings_connectors = _engines.settings_connectors
_engines.settings_connectors = _unbudgeted  # type: ignore[assignment]


def _git(repo: Path) -> None:
    handle = git.Repo.init(repo, initial_branch="main")
    handle.git.add("-A")
    env = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}  # fmt: skip
    handle.git.commit("-m", "fleet", "--no-gpg-sign", env=env)


async def _until(condition: Any, seconds: float) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > seconds:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


async def measure(intents: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        # passes when asked (annotation) or on a new revision, not on the clock
        config = OperatorConfig(cache_dir=Path(scratch) / "cache", source_tick=0.5,
                                pass_interval=3600, trust_root=TRUST_ROOT)  # fmt: skip
        repo = build_fleet(Path(scratch) / "fleet", intents)
        _git(repo)
        async with (
            Sandbox(fleet=repo / "fleet.yaml") as sandbox,
            CountingApiServer() as api,
            kmock.Server(api),
        ):
            SERVER["url"] = str(api.url).rstrip("/")
            api.resources["v1/namespaces"] = {"namespaced": False, "kind": "Namespace",
                                              "verbs": ["list", "watch", "get"]}  # fmt: skip
            api.resources["v1/events"] = {"namespaced": True, "kind": "Event",
                                          "verbs": ["create", "list", "get"]}  # fmt: skip
            api.resources["v1/secrets"] = {"namespaced": True, "kind": "Secret", "verbs": ["get"]}
            for plural, kind in (("gitsources", "GitSource"),
                                 ("deploymentintents", "DeploymentIntent")):  # fmt: skip
                api.resources[f"eucora.io/v1alpha1/{plural}"] = {
                    "namespaced": True, "kind": kind, "subresources": ["status"],
                    "verbs": ["list", "watch", "get", "patch", "create", "delete"],
                }  # fmt: skip
            api.objects["v1/secrets", "fleet", "tenant"] = secret("tenant", {
                "INTUNE_TENANT_ID": sandbox.tenant_id, "INTUNE_CLIENT_ID": sandbox.client_id,
                "INTUNE_CLIENT_SECRET": sandbox.client_secret,
                "INTUNE_GRAPH_URL": sandbox.graph_v1_url,
                "INTUNE_AUTHORITY_URL": sandbox.authority_url, "JAMF_URL": sandbox.jamf_url,
                "JAMF_CLIENT_ID": sandbox.jamf_client_id,
                "JAMF_CLIENT_SECRET": sandbox.jamf_client_secret,
            })  # fmt: skip
            api.objects[GS, "fleet", "src"] = git_source(
                "src", "fleet", repo, tenantSecretRef={"name": "tenant"}
            )
            retry = RetryPolicy(initial=0.01, maximum=0.1)
            wiring = Wiring(
                config, kube=KubeClient(SERVER["url"]), clock=sandbox.now,
                connector_options={"intune": {"retry": retry, "poll_interval": 0.02},
                                   "jamf": {"retry": retry}},
            )  # fmt: skip
            memo = kopf.Memo()

            def service() -> GitSourceService | None:
                state = state_of(memo)
                return None if state is None else state.sources.get("uid-src")

            def reported(pass_id: str | None) -> bool:
                source = service()
                done = source.reported if source is not None else {}
                return pass_id is not None and sum(v == pass_id for v in done.values()) == intents

            def engine_seconds() -> float:
                source = service()
                passes = source.passes if source is not None else None
                result = passes.latest.result if passes and passes.latest else None
                return result.seconds if result is not None else float("nan")

            def latest() -> str | None:
                source = service()
                passes = source.passes if source is not None else None
                return None if passes is None or passes.latest is None else passes.latest.info.id

            CountingApiServer.calls.clear()
            started = time.perf_counter()
            task = asyncio.create_task(
                kopf.operator(
                    clusterwide=True, standalone=True, memo=memo, registry=registry_for(wiring)
                )
            )
            try:
                await _until(lambda: reported(latest()), 600)
                first = time.perf_counter() - started
                await asyncio.sleep(1)  # the last status patches and Events go out
                first_calls = dict(CountingApiServer.calls)
                rows = [("first pass", first, first_calls, engine_seconds())]
                for n, label in enumerate(("second pass", "quiet pass")):
                    CountingApiServer.calls.clear()
                    seen = latest()
                    async with httpx.AsyncClient(base_url=SERVER["url"]) as http:
                        await http.patch(
                            "/apis/eucora.io/v1alpha1/namespaces/fleet/gitsources/src",
                            json={"metadata": {"annotations": {RECONCILE: f"pass-{n}"}}},
                            headers={"Content-Type": "application/merge-patch+json"},
                        )
                    started = time.perf_counter()
                    await _until(lambda s=seen: latest() != s and reported(latest()), 600)
                    seconds = time.perf_counter() - started
                    await asyncio.sleep(1)
                    rows.append((label, seconds, dict(CountingApiServer.calls), engine_seconds()))
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{intents} intents (Windows + macOS each), one operator process")
    for label, seconds, calls, engine in rows:
        shown = ", ".join(f"{k} {v}" for k, v in sorted(calls.items()) if not k.startswith("WATCH"))
        print(
            f"  {label:11} {seconds:6.1f}s (engine pass {engine:5.1f}s)  Kubernetes calls: {shown}"
        )
    print(f"  peak RSS so far: {peak:.0f} MiB")


async def main(sizes: list[int]) -> None:
    logs.configure(level="error")
    for size in sizes:
        await measure(size)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,100")
    arguments = parser.parse_args()
    asyncio.run(main([int(s) for s in arguments.sizes.split(",")]))
