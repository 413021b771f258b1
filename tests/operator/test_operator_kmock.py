"""The real kopf machinery against kmock's in-memory Kubernetes API."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import git
import httpx
import pytest

from reconciler.operator import OperatorConfig
from tests.conftest import EXAMPLE_INTENTS
from tests.operator._apiserver import ApiServer
from tests.operator.conftest import GIT_ENV, fetched, git_source, running_operator, until, wiring

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/fleet-repo"
GS = "eucora.io/v1alpha1/gitsources"
DI = "eucora.io/v1alpha1/deploymentintents"


def _free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return int(probe_socket.getsockname()[1])


@pytest.mark.kmock(cls=ApiServer)
async def test_git_source_materializes_intents(
    cluster: Any, fleet_git: Path, config: OperatorConfig
) -> None:
    cluster.objects[GS, "fleet", "src"] = git_source(
        "src", "fleet", fleet_git, ref={"branch": "main"}
    )
    async with running_operator(wiring(cluster, config)):
        for _ in range(100):
            intents = [k for k in list(cluster.objects) if "deploymentintents" in str(k[0])]
            if len(intents) >= EXAMPLE_INTENTS:
                break
            await asyncio.sleep(0.1)
        assert len(intents) == EXAMPLE_INTENTS
        obj = cluster.objects[DI, "fleet", "7zip-24.08"]
        assert obj["metadata"]["ownerReferences"][0]["uid"] == "uid-src"
        assert obj["spec"]["app"]["version"] == "24.08"
        for _ in range(50):
            status = cluster.objects[GS, "fleet", "src"].get("status", {})
            if status.get("lastAppliedRevision"):
                break
            await asyncio.sleep(0.1)
        head = git.Repo(fleet_git).head.commit.hexsha
        assert status["lastAppliedRevision"] == head
        fetched = next(c for c in status["conditions"] if c["type"] == "Fetched")
        assert (fetched["status"], fetched["reason"]) == ("True", "Materialized")
        assert fetched["message"].startswith(f"{head[:12]}: {EXAMPLE_INTENTS} created")


@pytest.mark.kmock(cls=ApiServer)
async def test_suspended_source_materializes_nothing(
    cluster: Any, fleet_git: Path, config: OperatorConfig
) -> None:
    cluster.objects[GS, "fleet", "src"] = git_source("src", "fleet", fleet_git, suspend=True)
    async with running_operator(wiring(cluster, config)):
        for _ in range(50):
            status = cluster.objects[GS, "fleet", "src"].get("status", {})
            if status.get("conditions"):
                break
            await asyncio.sleep(0.1)
        ready = next(c for c in status["conditions"] if c["type"] == "Ready")
        assert (ready["status"], ready["reason"]) == ("False", "Suspended")
        assert not [k for k in list(cluster.objects) if "deploymentintents" in str(k[0])]


@pytest.mark.kmock(cls=ApiServer)
async def test_intent_removed_from_git_is_deleted_on_requested_reconcile(
    cluster: Any, fleet_git: Path, config: OperatorConfig
) -> None:
    cluster.objects[GS, "fleet", "src"] = git_source("src", "fleet", fleet_git)

    def live() -> set[str]:
        return {
            k[2] for k in list(cluster.objects)
            if "deploymentintents" in str(k[0]) and not cluster.objects[k].deleted
        }  # fmt: skip

    async with running_operator(wiring(cluster, config)):
        for _ in range(100):
            if len(live()) == EXAMPLE_INTENTS:
                break
            await asyncio.sleep(0.1)
        assert "vlc-3.0.21" in live()
        repo = git.Repo(fleet_git)
        repo.git.rm("intents/vlc-3.0.21.yaml")
        repo.git.commit("-m", "drop vlc", "--no-gpg-sign", env=GIT_ENV)
        async with httpx.AsyncClient(base_url=str(cluster.url).rstrip("/")) as http:
            await http.patch(
                "/apis/eucora.io/v1alpha1/namespaces/fleet/gitsources/src",
                json={"metadata": {"annotations": {
                    "eucora.io/reconcile-requested-at": "2026-11-23T00:00:00Z"}}},
                headers={"Content-Type": "application/merge-patch+json"},
            )  # fmt: skip
        for _ in range(100):
            if "vlc-3.0.21" not in live():
                break
            await asyncio.sleep(0.1)
        assert "vlc-3.0.21" not in live()
        assert len(live()) == EXAMPLE_INTENTS - 1


@pytest.mark.kmock(cls=ApiServer)
async def test_liveness_endpoint_reports_the_probes(
    cluster: Any, fleet_git: Path, config: OperatorConfig
) -> None:
    cluster.objects[GS, "fleet", "src"] = git_source("src", "fleet", fleet_git)
    port = _free_port()
    liveness = f"http://127.0.0.1:{port}/healthz"
    async with running_operator(wiring(cluster, config), liveness_endpoint=liveness) as memo:
        assert await until(lambda: fetched(memo))
        async with httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{port}/healthz")
        assert response.status_code == 200
        assert response.json() == {"peering": {"standalone": True}, "sources": 1}
