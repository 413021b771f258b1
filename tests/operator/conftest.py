"""Operator tests: the operator's config (a fast timer tick, a cache per test), its own
kopf registry per run, and the pieces of kmock's emulated cluster the operator needs."""

import asyncio
import base64
import contextlib
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import git
import kopf
import pytest

from reconciler.operator import OperatorConfig, OperatorState, Wiring, operator_registry
from reconciler.operator._kube import KubeClient
from reconciler.sandbox import Sandbox
from tests.engine._harness import keep_only

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/fleet-repo"
#: the example fleet's out-of-band trust root, as a mounted file would supply it
TRUST_ROOT = Path(__file__).resolve().parents[2] / "examples" / "keys" / "trust-root.yaml"


def operator_config(tmp_path: Path, **changes: Any) -> OperatorConfig:
    """A fast tick, the test's own cache (and audit logs under it), the example trust root."""
    values = {"cache_dir": tmp_path / "cache", "source_tick": 0.3, "trust_root": TRUST_ROOT}
    return OperatorConfig(**{**values, **changes})


@pytest.fixture()
def config(tmp_path: Path) -> OperatorConfig:
    return operator_config(tmp_path)


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


#: the emulated API server of the running test (read by the login handler)
API_SERVER: dict[str, str] = {}


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


def state_of(memo: kopf.Memo) -> OperatorState | None:
    """The operator's state once its startup handler ran."""
    state: OperatorState | None = memo.get("state")
    return state


def fetched(memo: kopf.Memo, uid: str = "uid-src") -> bool:
    """Whether this operator has fetched (and materialized) the source ``uid``."""
    state = state_of(memo)
    service = None if state is None else state.sources.get(uid)
    return service is not None and service.last_fetch is not None


def wiring(cluster: Any, config: OperatorConfig, **values: Any) -> Wiring:
    """The operator's config with a client for the emulated API server (and ``values``:
    clock, connector options)."""
    return Wiring(config, kube=KubeClient(str(cluster.url).rstrip("/")), **values)


def registry_for(wired: Wiring) -> kopf.OperatorRegistry:
    """The operator's handlers and the test login, in a registry of their own."""
    registry = operator_registry(wired)
    kopf.on.login(registry=registry)(login)
    return registry


@contextlib.asynccontextmanager
async def running_operator(wired: Wiring, **options: Any) -> AsyncIterator[kopf.Memo]:
    """kopf in the background, one replica without peering unless ``options`` say
    otherwise; stopped by cancelling its task (a stop flag waits ~5 s)."""
    options = {"clusterwide": True, "standalone": True, **options}
    memo = kopf.Memo()
    task = asyncio.create_task(kopf.operator(memo=memo, registry=registry_for(wired), **options))
    try:
        yield memo
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# --- a fleet of two intents, the sandbox as its tenant, and the cluster holding both ---
GS = "eucora.io/v1alpha1/gitsources"
DI = "eucora.io/v1alpha1/deploymentintents"
EVENTS = "v1/events"
ZIP, VLC = "7zip-23.01", "vlc-3.0.21"


def _tenant_keys(sandbox: Sandbox) -> dict[str, str]:
    return {
        "INTUNE_TENANT_ID": sandbox.tenant_id,
        "INTUNE_CLIENT_ID": sandbox.client_id,
        "INTUNE_CLIENT_SECRET": sandbox.client_secret,
        "INTUNE_GRAPH_URL": sandbox.graph_v1_url,
        "INTUNE_AUTHORITY_URL": sandbox.authority_url,
        "JAMF_URL": sandbox.jamf_url,
        "JAMF_CLIENT_ID": sandbox.jamf_client_id,
        "JAMF_CLIENT_SECRET": sandbox.jamf_client_secret,
    }


@pytest.fixture()
def fleet_two(fleet_git: Path) -> Path:
    keep_only(fleet_git, [ZIP, VLC])
    return fleet_git


@pytest.fixture()
async def tenant(fleet_two: Path) -> AsyncIterator[Sandbox]:
    async with Sandbox(
        fleet=fleet_two / "fleet.yaml",
        devices_windows=2000,
        devices_macos=800,
        retry_after_seconds=0,
    ) as sandbox:
        yield sandbox


@pytest.fixture()
def fleet_config(tmp_path: Path) -> OperatorConfig:
    # passes run when asked for (annotation) or on a new revision, not on the clock
    return operator_config(tmp_path, pass_interval=3600)


@pytest.fixture()
def fleet_cluster(cluster: Any, fleet_two: Path, tenant: Sandbox) -> Any:
    cluster.resources[EVENTS] = {
        "namespaced": True, "kind": "Event", "verbs": ["create", "list", "get"],
    }  # fmt: skip
    cluster.resources["v1/secrets"] = {"namespaced": True, "kind": "Secret", "verbs": ["get"]}
    cluster.objects["v1/secrets", "fleet", "tenant"] = secret("tenant", _tenant_keys(tenant))
    cluster.objects[GS, "fleet", "src"] = git_source(
        "src", "fleet", fleet_two, tenantSecretRef={"name": "tenant"}
    )
    return cluster


def write_kubeconfig(path: Path, server: str, *, namespace: str = "fleet") -> Path:
    """A kubeconfig with one context for ``server`` and a bearer token, as kubectl writes."""
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
        f"clusters:\n- name: test\n  cluster:\n    server: {server}\n"
        "contexts:\n- name: test\n"
        f"  context: {{cluster: test, user: test, namespace: {namespace}}}\n"
        "users:\n- name: test\n  user: {token: s3cret-token}\n"
    )
    return path
