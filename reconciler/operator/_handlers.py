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
from reconciler.domain.ports import Revision
from reconciler.domain.progress import Progress
from reconciler.engine import Reconciler, intent_events, utc_now
from reconciler.gitops import fetch
from reconciler.notify import tell_intent, tell_pass
from reconciler.operator import _materialize as m
from reconciler.operator import dashboard
from reconciler.operator._engines import Engines, SourceConfig
from reconciler.operator._errors import kopf_errors
from reconciler.operator._kube import KubeClient
from reconciler.operator._metrics import (
    INTENTS,
    RECONCILE_SECONDS,
    record_http,
    record_states,
    serve,
)
from reconciler.operator._notify import notification_config, notifier_for
from reconciler.operator._passes import PassOutcome, SourcePasses
from reconciler.operator._runtime import Runtime
from reconciler.operator._secrets import resolve as resolve_secrets
from reconciler.operator._status import (
    drop_unchanged,
    failed_status,
    intent_status,
    merge_conditions,
    unchanged,
)
from reconciler.operator.connection import resolve_connection

#: how often sources and intents are looked at (fetches and passes have their own intervals)
TICK = float(os.environ.get("EUCORA_SOURCE_TICK", "10"))
INTENT_TICK = float(os.environ.get("EUCORA_INTENT_TICK", str(TICK)))


@kopf.on.startup()
async def startup(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    settings.persistence.finalizer = "eucora.io/finalizer"
    # A deleted intent keeps its finalizer until its timer has exited; kopf looks again
    # after this many seconds (default 60) unless another event for it arrives first.
    settings.background.cancellation_polling = 2
    Runtime.from_env(os.environ).apply(settings)
    memo.cache = Path(os.environ.get("EUCORA_CACHE_DIR", "/var/cache/eucora"))
    memo.last_fetch = {}
    # Key files from Secrets live outside the cache, in a private directory per process.
    memo.secrets_dir = Path(tempfile.mkdtemp(prefix="eucora-secrets-"))
    memo.sources = {}  # source uid → SourceConfig (tenants, signers file) of its last fetch
    memo.passes = {}  # source uid → SourcePasses: the engine passes of that source
    memo.notifiers = {}  # source uid → Notifier of its spec.notifications
    memo.reported = {}  # (namespace, intent) → id of the pass its status reflects
    memo.summarized = {}  # source uid → id of the pass its status reflects
    memo.pass_interval = m.parse_interval(os.environ.get("EUCORA_PASS_INTERVAL", "1m"))
    if "clock" not in memo:
        memo.clock = utc_now
    memo.engines = Engines(
        clock=memo.clock,
        audit_dir=Path(os.environ.get("EUCORA_AUDIT_DIR", str(memo.cache / "audit"))),
        connector_options=memo.get("connector_options"),
    )
    if port := os.environ.get("EUCORA_METRICS_PORT"):
        serve(int(port))
    memo.dashboard = None
    if port := os.environ.get("EUCORA_DASHBOARD_PORT"):
        memo.dashboard = await dashboard.start(memo, int(port), os.environ)
    memo.forget_http_observer = observe_http(record_http)
    if "kube" not in memo:
        memo.kube = _in_cluster_client()


def _in_cluster_client() -> KubeClient:
    """The service account in a pod; the kubeconfig (KUBECONFIG) on a workstation."""
    connection = resolve_connection(os.environ)
    return KubeClient(connection.server, token=connection.token, verify=connection.verify)


@kopf.on.cleanup()
async def cleanup(memo: kopf.Memo, **_: Any) -> None:
    for notifier in memo.notifiers.values():
        await notifier.aclose(timeout=5)
    if memo.get("dashboard") is not None:
        await memo.dashboard.cleanup()
    await memo.engines.close()
    await memo.kube.close()
    memo.forget_http_observer()
    shutil.rmtree(memo.secrets_dir, ignore_errors=True)


@kopf.on.delete(m.GROUP, m.VERSION, "gitsources", optional=True)
async def source_deleted(uid: str, memo: kopf.Memo, **_: Any) -> None:
    """Forget a deleted source's key files, settings and engine (optional: adds no
    finalizer). Its intents go with it, through their owner reference."""
    memo.last_fetch.pop(uid, None)
    memo.passes.pop(uid, None)
    memo.summarized.pop(uid, None)
    if (notifier := memo.notifiers.pop(uid, None)) is not None:
        await notifier.aclose(timeout=5)
    await memo.engines.forget(uid)
    memo.sources.pop(uid, None)
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
    spec: kopf.Spec, status: kopf.Status, meta: kopf.Meta, body: kopf.Body,
    namespace: str | None, uid: str, memo: kopf.Memo, patch: kopf.Patch,
    logger: kopf.Logger, **_: Any,
) -> None:  # fmt: skip
    """Fetch and materialize on the source's interval (or when asked), then run the
    engine pass if one is due and no intent handler ran it already."""
    passes = _passes(memo, uid, namespace or "default", meta["name"], status)
    try:
        await _tick_source(spec, status, meta, namespace or "default", uid, memo, patch)
    finally:
        _observed(patch, meta.get("generation"))
        drop_unchanged(patch.status, status)
        if not patch.status:
            patch.pop("status", None)  # nothing left to send
        if problem := passes.audit_problem:
            passes.audit_problem = None
            logger.error(problem)
            kopf.warn(body, reason="AuditLogBroken", message=problem)


async def _tick_source(
    spec: Any, status: Any, meta: Any, namespace: str, uid: str, memo: kopf.Memo,
    patch: kopf.Patch,
) -> None:  # fmt: skip
    passes: SourcePasses = memo.passes[uid]
    passes.suspended = bool(spec.get("suspend"))
    if passes.suspended:
        _condition(patch, status, "Ready", "False", "Suspended", "spec.suspend is true")
        return
    requested = meta.get("annotations", {}).get(m.RECONCILE_ANNOTATION)
    due = time.monotonic() - memo.last_fetch.get(uid, -1e18) >= m.parse_interval(
        spec.get("interval", "5m")
    )
    if due or requested != status.get("lastHandledReconcileAt"):

        def not_ready(error: EucoraError) -> None:
            _condition(patch, status, "Fetched", "False", error.reason, str(error))
            _condition(patch, status, "Ready", "False", error.reason, str(error))

        with RECONCILE_SECONDS.labels("GitSource").time(), kopf_errors(on_error=not_ready):
            async with passes.exclusive():
                await materialize(spec, meta, namespace, uid, memo, patch, status)
        memo.last_fetch[uid] = time.monotonic()
        if requested:
            patch.status["lastHandledReconcileAt"] = requested
            passes.request()
    outcome = await passes.run_if_due()
    if outcome is not None and memo.summarized.get(uid) != outcome.info.id:
        _summarize(patch, status, outcome, namespace, meta["name"])
        memo.summarized[uid] = outcome.info.id
        if (notifier := memo.notifiers.get(uid)) is not None and outcome.result is not None:
            tell_pass(notifier, outcome.result)


def _observed(patch: kopf.Patch, generation: int | None) -> None:
    """Conditions set in this run were computed for this generation of the spec."""
    if generation is None or "conditions" not in patch.status:
        return
    patch.status["observedGeneration"] = generation
    patch.status["conditions"] = [
        {**c, "observedGeneration": generation} for c in patch.status["conditions"]
    ]


def _passes(memo: kopf.Memo, uid: str, namespace: str, name: str, status: Any) -> SourcePasses:
    if uid not in memo.passes:

        async def statuses() -> dict[str, Any]:
            owned = await memo.kube.owned_by(namespace, name)
            return {intent: obj.get("status") or {} for intent, obj in owned.items()}

        memo.passes[uid] = SourcePasses(
            interval=memo.pass_interval, statuses=statuses, clock=memo.clock,
            audit_anchor=(status.get("audit") or {}).get("head"),
        )  # fmt: skip
    passes: SourcePasses = memo.passes[uid]
    return passes


def _summarize(
    patch: kopf.Patch, status: Any, outcome: PassOutcome, namespace: str, name: str
) -> None:
    """The source's Ready condition and intent counts from its latest pass."""
    if outcome.error is not None:
        error = outcome.error
        _condition(patch, status, "Ready", "False", error.reason, error.message)
        return
    result = outcome.result
    if result is None:
        return
    # a merge patch: states no intent is in any more are set to None, which removes them
    counts: dict[str, int | None] = {state.value: None for state in Progress}
    counts["total"] = len(result.intents)
    patch.status["rings"] = list(result.rings)
    for report in result.intents:
        counts[report.state.value] = (counts[report.state.value] or 0) + 1
    patch.status["intents"] = counts
    record_states(namespace, name, {k: v or 0 for k, v in counts.items() if k != "total"})
    if outcome.audit is not None:
        patch.status["audit"] = dict(outcome.audit)
    patch.status["pendingGovernance"] = [
        f"{p.kind} {p.name}: {'; '.join(p.loosenings)}; needs {p.needs}" for p in result.pending
    ]
    errors = result.errors
    message = (
        f"{result.revision[:12]}: {len(result.intents)} intents, {result.writes} writes, "
        f"{len(errors)} failed"
    )
    if errors:
        _condition(patch, status, "Ready", "False", "ApplyFailed", message)
    else:
        _condition(patch, status, "Ready", "True", "Reconciled", message)


async def materialize(
    spec: Any, meta: Any, namespace: str, uid: str, memo: kopf.Memo, patch: kopf.Patch,
    status: Any,
) -> None:  # fmt: skip
    name = meta["name"]
    secrets = await resolve_secrets(spec, namespace, memo.kube, memo.secrets_dir / uid)
    fetched = await asyncio.to_thread(fetch, spec["url"], m.ref_of(spec), memo.cache, secrets.git)
    patch.status["lastFetchedRevision"] = fetched.commit
    root = Path(fetched.path) / spec.get("path", ".")
    revision = Revision(str(root), fetched.commit, fetched.ref)
    result = await asyncio.to_thread(load_repo, root)
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
    memo.sources[uid] = SourceConfig.from_spec(
        f"{namespace}/{name}", spec, secrets.tenants, secrets.signers_file, secrets.trust_file,
        secrets.packages,
    )  # fmt: skip
    told = await notification_config(spec, namespace, memo.kube, f"GitSource {namespace}/{name}")
    if (notifier := await notifier_for(memo.notifiers.get(uid), told)) is not None:
        memo.notifiers[uid] = notifier
    else:
        memo.notifiers.pop(uid, None)
    passes: SourcePasses = memo.passes[uid]

    async def engine_for(at: Revision) -> Reconciler:
        engines: Engines = memo.engines
        return await engines.engine(uid, memo.sources[uid], passes.store, at)

    passes.update(engine_for, revision)
    message = (
        f"{revision.commit[:12]}: {len(plan.create)} created, {len(plan.update)} updated, "
        f"{len(plan.delete)} deleted"
    )
    _condition(patch, status, "Fetched", "True", "Materialized", message)
    if not status.get("conditions"):
        _condition(patch, status, "Ready", "Unknown", "Materialized", message)


@kopf.timer(m.GROUP, m.VERSION, "deploymentintents", interval=INTENT_TICK, initial_delay=0)
async def intent_tick(
    meta: kopf.Meta, body: kopf.Body, status: kopf.Status, memo: kopf.Memo,
    patch: kopf.Patch, **_: Any,
) -> None:  # fmt: skip
    """Copy this intent's part of its source's newest pass into the status (running the
    pass first if one is due), and post Events for what changed."""
    passes: SourcePasses | None = memo.passes.get(m.owner_uid(meta))
    if passes is None:
        return  # its source has not been fetched by this replica yet
    key = (meta.get("namespace"), meta["name"])
    seen = memo.reported.get(key) or (status.get("lastPass") or {}).get("id")
    generation, now = meta.get("generation"), memo.clock()
    outcome = await passes.outcome_for(seen)
    if outcome is None:
        return
    memo.reported[key] = outcome.info.id
    if outcome.error is not None:
        failure = failed_status(outcome.error, outcome.info, status, generation=generation, now=now)
        if not unchanged(failure, status):
            patch.status.update(failure)
        with kopf_errors():
            raise outcome.error
    report = outcome.report(meta["name"])
    if report is None:
        return  # materialized after the pass began; the next one covers it
    update = intent_status(
        report, outcome.states.get(report.name), outcome.info, status,
        generation=generation, now=now,
    )  # fmt: skip
    if unchanged(update, status):
        return  # a quiet pass writes nothing to the cluster either
    patch.status.update(update)
    events = intent_events(report, status, update)
    for event in events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)
    source = m.owner_uid(meta)
    if (notifier := memo.notifiers.get(source)) is not None and outcome.result is not None:
        where = f"{meta.get('namespace')}/{(meta.get('labels') or {}).get(m.SOURCE_LABEL, '')}"
        tell_intent(notifier, report, events, result=outcome.result, source=where,
                    fleet=source or "")  # fmt: skip


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
    """Set one condition of a source (on top of any set earlier in this handler run)."""
    previous = patch.status.get("conditions") or status.get("conditions") or []
    condition = {"type": kind, "status": value, "reason": reason, "message": message}
    patch.status["conditions"] = merge_conditions(
        previous, [condition], generation=None, now=dt.datetime.now(dt.UTC)
    )
