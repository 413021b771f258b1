"""Two operator replicas in one peering group against one emulated cluster: one acts.

Each replica runs in its own thread with its own event loop, as separate pods would:
two ``kopf.operator`` tasks in one loop treat each other's tasks as their own when they
stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path
from typing import Any

import kopf
import pytest

from reconciler.operator import OperatorConfig, Wiring
from reconciler.operator._kube import KubeClient
from tests.operator._apiserver import ApiServer
from tests.operator.conftest import fetched, git_source, registry_for, state_of, until

GS = "eucora.io/v1alpha1/gitsources"
PEERING = "kopf.dev/v1/clusterkopfpeerings"


class Replica(threading.Thread):
    def __init__(self, server: str, priority: int, config: OperatorConfig) -> None:
        super().__init__(daemon=True, name=f"replica-{priority}")
        self.server, self.priority, self.config = server, priority, config
        self.memo = kopf.Memo()
        self._running = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        registry = registry_for(Wiring(self.config, kube=KubeClient(self.server)))
        self._running.set()
        with contextlib.suppress(asyncio.CancelledError):
            await kopf.operator(
                clusterwide=True, priority=self.priority, identity=self.name, memo=self.memo,
                registry=registry,
            )  # fmt: skip

    def acted(self, uid: str = "uid-src") -> bool:
        return fetched(self.memo, uid)

    def passes(self) -> int:
        """Engine passes this replica started (for the intents' handlers or its sources)."""
        state = state_of(self.memo)
        return 0 if state is None else sum(s.passes.passes for s in list(state.sources.values()))

    def stop(self) -> None:
        self._running.wait()
        assert self._loop is not None and self._task is not None
        if not self.is_alive():
            return
        self._loop.call_soon_threadsafe(self._task.cancel)
        self.join(timeout=30)


@pytest.fixture()
def peered_cluster(cluster: Any, fleet_git: Path) -> Any:
    cluster.resources[PEERING] = {
        "namespaced": False, "kind": "ClusterKopfPeering",
        "verbs": ["list", "watch", "get", "patch"],
    }  # fmt: skip
    cluster.objects[PEERING, None, "eucora"] = {
        "apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering",
        "metadata": {"name": "eucora", "resourceVersion": "1"},
    }  # fmt: skip
    cluster.objects[GS, "src", "src"] = git_source("src", "src", fleet_git)
    return cluster


def _peers(cluster: Any) -> dict[str, Any]:
    return dict(cluster.objects[PEERING, None, "eucora"].get("status") or {})


@pytest.mark.kmock(cls=ApiServer)
async def test_a_lower_priority_replica_stands_by_and_takes_over(
    peered_cluster: Any, config: OperatorConfig
) -> None:
    server = str(peered_cluster.url).rstrip("/")
    active, standby = Replica(server, 20, config), Replica(server, 10, config)
    active.start()
    try:
        assert await until(active.acted)
        assert await until(lambda: active.passes() > 0)
        standby.start()
        assert await until(lambda: set(_peers(peered_cluster)) == {"replica-10", "replica-20"})
        await asyncio.sleep(1.0)  # several timer ticks: the standby stays paused
        assert not standby.acted()
        assert standby.passes() == 0

        await asyncio.to_thread(active.stop)  # a clean exit removes it from the peering
        assert await until(lambda: "replica-20" not in _peers(peered_cluster))
        assert await until(standby.acted)
        assert await until(lambda: standby.passes() > 0)
    finally:
        await asyncio.gather(*(asyncio.to_thread(r.stop) for r in (standby, active)))


@pytest.mark.kmock(cls=ApiServer)
async def test_replicas_of_equal_priority_both_pause(
    peered_cluster: Any, fleet_git: Path, config: OperatorConfig
) -> None:
    """kopf's rule, and the reason each replica picks a random priority by default."""
    server = str(peered_cluster.url).rstrip("/")
    first, second = Replica(server, 5, config), Replica(server, 5, config)
    second.name = "replica-5b"
    first.start()
    try:
        assert await until(first.acted)
        second.start()
        assert await until(lambda: len(_peers(peered_cluster)) == 2)
        await asyncio.sleep(1.0)
        peered_cluster.objects[GS, "late", "late"] = git_source("late", "late", fleet_git)
        await asyncio.sleep(1.5)
        assert not first.acted("uid-late")
        assert not second.acted("uid-late")

        await asyncio.to_thread(second.stop)  # alone again: the first resumes
        assert await until(lambda: first.acted("uid-late"))
    finally:
        await asyncio.gather(*(asyncio.to_thread(r.stop) for r in (first, second)))
