"""Operator tests: a fast GitSource timer tick (read when the handlers are imported), and
the pieces of kmock's emulated cluster the operator needs."""

import asyncio
import base64
import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import git
import kopf
import pytest

os.environ.setdefault("EUCORA_SOURCE_TICK", "0.3")
# the example fleet's out-of-band trust root, as a mounted file would supply it
os.environ.setdefault(
    "EUCORA_TRUST_ROOT",
    str(Path(__file__).resolve().parents[2] / "examples" / "keys" / "trust-root.yaml"),
)

# only now: importing the operator package reads the tick
from reconciler.operator._kube import KubeClient

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/fleet-repo"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
}  # fmt: skip


@pytest.fixture()
def fleet_git(tmp_path: Path) -> Path:
    target = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, target)
    repo = git.Repo.init(target, initial_branch="main")
    repo.git.add("-A")
    repo.git.commit("-m", "fleet", "--no-gpg-sign", env=GIT_ENV)
    return target


#: the emulated API server of the running test; one login handler for all tests, since
#: kopf's handler registry is global and outlives each test's emulator
API_SERVER: dict[str, str] = {}


@kopf.on.login()
def login(**_: Any) -> kopf.ConnectionInfo:
    return kopf.ConnectionInfo(server=API_SERVER["url"], insecure=True)


@pytest.fixture()
def cluster(kmock: Any) -> Any:
    API_SERVER["url"] = str(kmock.url).rstrip("/")
    kmock.resources["v1/namespaces"] = {
        "namespaced": False,
        "kind": "Namespace",
        "verbs": ["list", "watch", "get"],
    }
    for plural, kind in (("gitsources", "GitSource"), ("deploymentintents", "DeploymentIntent")):
        kmock.resources[f"eucora.io/v1alpha1/{plural}"] = {
            "namespaced": True, "kind": kind, "subresources": ["status"],
            "verbs": ["list", "watch", "get", "patch", "create", "delete"],
        }  # fmt: skip
    return kmock


def git_source(name: str, namespace: str, fleet_git: Path, **spec: Any) -> dict[str, Any]:
    """A GitSource object as the emulator stores it (resourceVersion set, see kmock notes)."""
    return {
        "apiVersion": "eucora.io/v1alpha1", "kind": "GitSource",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}",
                     "resourceVersion": "1", "generation": 1},
        "spec": {"url": f"file://{fleet_git}", "interval": "1h", **spec},
    }  # fmt: skip


def secret(name: str, data: dict[str, str], namespace: str = "fleet") -> dict[str, Any]:
    """A Secret object as the emulator stores it, values base64-encoded."""
    return {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "resourceVersion": "1"},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }  # fmt: skip


async def until(condition: Callable[[], Any], seconds: float = 10) -> bool:
    for _ in range(int(seconds * 10)):
        if condition():
            return True
        await asyncio.sleep(0.1)
    return False


def memo_for(cluster: Any, **values: Any) -> kopf.Memo:
    """The operator's memo with a client for the emulated API server (and ``values``)."""
    return kopf.Memo(kube=KubeClient(str(cluster.url).rstrip("/")), **values)


@contextlib.asynccontextmanager
async def running_operator(memo: kopf.Memo, **options: Any) -> AsyncIterator[kopf.Memo]:
    """kopf in the background, one replica without peering unless ``options`` say
    otherwise; stopped by cancelling its task (a stop flag waits ~5 s)."""
    options = {"clusterwide": True, "standalone": True, **options}
    task = asyncio.create_task(kopf.operator(memo=memo, **options))
    try:
        yield memo
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
