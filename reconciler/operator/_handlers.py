"""kopf handlers: a few lines each, delegating to the planner, the client and the engine."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import kopf

from reconciler.connectors import observe_http
from reconciler.domain.errors import EucoraError, InvalidRepositoryError
from reconciler.domain.loader import load_repo
from reconciler.gitops import fetch
from reconciler.operator import _materialize as m
from reconciler.operator._errors import kopf_errors
from reconciler.operator._kube import KubeClient
from reconciler.operator._metrics import INTENTS, RECONCILE_SECONDS, record_http, serve
from reconciler.operator._runtime import Runtime
from reconciler.operator._secrets import resolve as resolve_secrets

TICK = float(os.environ.get("EUCORA_SOURCE_TICK", "10"))


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    settings.persistence.finalizer = "eucora.io/finalizer"
    Runtime.from_env(os.environ).apply(settings)
    memo.cache = Path(os.environ.get("EUCORA_CACHE_DIR", "/var/cache/eucora"))
    memo.last_fetch = {}
    # Key files from Secrets live outside the cache, in a private directory per process.
    memo.secrets_dir = Path(tempfile.mkdtemp(prefix="eucora-secrets-"))
    memo.signers = {}  # source uid → allowed_signers file, for provenance checks
    memo.tenants = {}  # source uid → TenantSettings for the connectors
    if port := os.environ.get("EUCORA_METRICS_PORT"):
        serve(int(port))
    memo.forget_http_observer = observe_http(record_http)
    if "kube" not in memo:
        memo.kube = _in_cluster_client()


def _in_cluster_client() -> KubeClient:
    host, port = (
        os.environ.get("KUBERNETES_SERVICE_HOST"),
        os.environ.get("KUBERNETES_SERVICE_PORT"),
    )
    sa = Path("/var/run/secrets/kubernetes.io/serviceaccount")
    token = (sa / "token").read_text() if (sa / "token").exists() else None
    ca = str(sa / "ca.crt") if (sa / "ca.crt").exists() else True
    return KubeClient(f"https://{host}:{port}", token=token, verify=ca)


@kopf.on.cleanup()
async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    await memo.kube.close()
    memo.forget_http_observer()
    shutil.rmtree(memo.secrets_dir, ignore_errors=True)


@kopf.on.delete(m.GROUP, m.VERSION, "gitsources", optional=True)
def source_deleted(uid: str, memo: kopf.Memo, **_: Any) -> None:
    """Forget a deleted source's key files and settings (optional: adds no finalizer)."""
    memo.last_fetch.pop(uid, None)
    memo.signers.pop(uid, None)
    memo.tenants.pop(uid, None)
    shutil.rmtree(memo.secrets_dir / uid, ignore_errors=True)


@kopf.on.probe(id="peering")
def peering_probe(settings: kopf.OperatorSettings, **_: Any) -> dict[str, Any]:
    """Shown on /healthz: which group this replica is in and with what priority."""
    if settings.peering.standalone:
        return {"standalone": True}
    return {"name": settings.peering.name, "priority": settings.peering.priority}


@kopf.on.probe(id="sources")
def sources_probe(memo: kopf.Memo, **_: Any) -> int:
    """Sources fetched by this replica since it started (0 on a standby)."""
    return len(memo.last_fetch)


@kopf.timer(m.GROUP, m.VERSION, "gitsources", interval=TICK, initial_delay=0)
async def source_tick(
    spec: kopf.Spec, status: kopf.Status, meta: kopf.Meta, namespace: str | None,
    uid: str, memo: kopf.Memo, patch: kopf.Patch, logger: Any, **_: Any,
) -> None:  # fmt: skip
    if spec.get("suspend"):
        _condition(patch, status, "Ready", "False", "Suspended", "spec.suspend is true")
        return
    requested = meta.get("annotations", {}).get(m.RECONCILE_ANNOTATION)
    due = time.monotonic() - memo.last_fetch.get(uid, -1e18) >= m.parse_interval(
        spec.get("interval", "5m")
    )
    if not due and requested == status.get("lastHandledReconcileAt"):
        return

    def not_ready(error: EucoraError) -> None:
        _condition(patch, status, "Ready", "False", error.reason, str(error))

    with RECONCILE_SECONDS.labels("GitSource").time(), kopf_errors(on_error=not_ready):
        await materialize(spec, meta, namespace or "default", uid, memo, patch, status)
    memo.last_fetch[uid] = time.monotonic()
    if requested:
        patch.status["lastHandledReconcileAt"] = requested


async def materialize(
    spec: Any, meta: Any, namespace: str, uid: str, memo: kopf.Memo, patch: kopf.Patch,
    status: Any,
) -> None:  # fmt: skip
    name = meta["name"]
    secrets = await resolve_secrets(spec, namespace, memo.kube, memo.secrets_dir / uid)
    memo.signers[uid], memo.tenants[uid] = secrets.signers_file, secrets.tenants
    revision = await asyncio.to_thread(fetch, spec["url"], m.ref_of(spec), memo.cache, secrets.git)
    patch.status["lastFetchedRevision"] = revision.commit
    result = await asyncio.to_thread(load_repo, Path(revision.path) / spec.get("path", "."))
    if not result.ok:
        first = result.errors[0]
        raise InvalidRepositoryError(f"{len(result.errors)} findings, first: {first}")
    desired = m.desired_objects(
        result.repo, source=name, namespace=namespace, uid=uid, revision=revision.commit,
        source_labels=meta.get("labels") or {},
    )  # fmt: skip
    existing = await memo.kube.owned_by(namespace, name)
    plan = m.plan(desired, existing)
    for obj in plan.create:
        await memo.kube.create(obj)
    for obj in plan.update:
        await memo.kube.replace_spec(obj)
    for gone in plan.delete:
        await memo.kube.delete(namespace, gone)
    INTENTS.labels(namespace, name).set(len(desired))
    patch.status["lastAppliedRevision"] = revision.commit
    patch.status["intents"] = {"total": len(desired)}
    message = (
        f"{revision.commit[:12]}: {len(plan.create)} created, {len(plan.update)} updated, "
        f"{len(plan.delete)} deleted"
    )
    _condition(patch, status, "Ready", "True", "Materialized", message)


@kopf.on.field(m.GROUP, m.VERSION, "deploymentintents", field="spec")
def intent_edited(old: Any, new: Any, meta: kopf.Meta, body: kopf.Body, **_: Any) -> None:
    """Intents come from Git; warn when someone edits one by hand (it will be reverted)."""
    digest = meta.get("annotations", {}).get(m.DIGEST_ANNOTATION)
    if old is not None and digest and m.intent_digest(dict(new or {})) != digest:
        kopf.warn(
            body,
            reason="EditedOutsideGit",
            message="DeploymentIntents are materialized from Git; this edit will be reverted.",
        )


def _condition(
    patch: kopf.Patch, status: Any, kind: str, value: str, reason: str, message: str
) -> None:
    """Set a condition, keeping lastTransitionTime unless the status changes."""
    conditions = [dict(c) for c in status.get("conditions", [])]
    current = next((c for c in conditions if c.get("type") == kind), None)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if current is None:
        conditions.append({"type": kind})
        current = conditions[-1]
    if current.get("status") != value:
        current["lastTransitionTime"] = now
    current.update(status=value, reason=reason, message=message)
    patch.status["conditions"] = conditions
