"""One GitSource as a service: what the handlers of both CRD kinds call.

A :class:`GitSourceService` holds everything the operator keeps about a source between
handler runs: its passes (and the state store they restore), the :class:`SourceConfig`
of its last fetch, when it last fetched, the pass its status last summarized, its
notifier and its engine. The GitSource timer calls :meth:`GitSourceService.tick` (fetch,
materialize, the pass when due, the summary); each DeploymentIntent timer calls
:meth:`GitSourceService.report_intent` (its part of the newest pass). Handlers only parse
what kopf hands them and write what comes back; this module knows no kopf.

The revision is loaded once per fetch, from its commit tree: the same load result gives
the DeploymentIntent objects and is handed on to the passes (:class:`LoadedRevision`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.domain.errors import EucoraError
from reconciler.domain.ports import Revision
from reconciler.domain.progress import Progress
from reconciler.engine import Event, LoadedRevision, Reconciler, intent_events
from reconciler.gitops import GitCredentials, fetch
from reconciler.notify import Notifier, tell_intent, tell_pass
from reconciler.operator import _materialize as m
from reconciler.operator._config import OperatorConfig
from reconciler.operator._engines import SourceConfig, SourceEngine
from reconciler.operator._kube import KubeClient
from reconciler.operator._loaded import HeldRevision
from reconciler.operator._metrics import INTENTS, RECONCILE_SECONDS, record_states
from reconciler.operator._notify import notification_config, notifier_for
from reconciler.operator._passes import PassOutcome, SourcePasses
from reconciler.operator._secrets import resolve as resolve_secrets
from reconciler.operator._source_status import SourceStatus
from reconciler.operator._status import failed_status, intent_status, unchanged


@dataclass(frozen=True, slots=True)
class SourceRef:
    uid: str
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class IntentUpdate:
    """What an intent's handler writes: status fields (``None``: nothing), Events, and
    the error of a failed pass (raised after the status is written)."""

    status: Mapping[str, Any] | None = None
    events: tuple[Event, ...] = ()
    error: EucoraError | None = None


@dataclass(frozen=True, slots=True)
class Dependencies:
    """What every source service of one operator process shares."""

    config: OperatorConfig
    kube: KubeClient
    clock: Callable[[], datetime]
    secrets_dir: Path
    connector_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


class GitSourceService:
    def __init__(self, source: SourceRef, deps: Dependencies, audit_anchor: str | None) -> None:
        self.source, self._deps = source, deps
        self.passes = SourcePasses(
            interval=deps.config.pass_interval, statuses=self._statuses, clock=deps.clock,
            audit_anchor=audit_anchor,
        )  # fmt: skip
        self.engine = SourceEngine(
            clock=deps.clock,
            audit_path=deps.config.audit_path / f"{source.uid}.jsonl",
            connector_options=deps.connector_options,
        )
        #: tenants, signers and trust root of the last fetch (builds the engine)
        self.config: SourceConfig | None = None
        #: ``time.monotonic()`` of the last successful fetch
        self.last_fetch: float | None = None
        #: id of the pass the source's status summarizes; per intent, the pass its status shows
        self.summarized: str | None = None
        self.reported: dict[str, str] = {}
        self.notifier: Notifier | None = None
        #: the newest revision, loaded once and handed to the passes
        self.revision = HeldRevision()

    @property
    def secrets_dir(self) -> Path:
        return self._deps.secrets_dir / self.source.uid

    # ------------------------------------------------------------- GitSource
    async def tick(
        self, spec: Mapping[str, Any], meta: Mapping[str, Any], status: SourceStatus
    ) -> None:
        """Fetch and materialize on the source's interval (or when asked), then run the
        engine pass if one is due and no intent handler ran it already."""
        self.passes.suspended = bool(spec.get("suspend"))
        if self.passes.suspended:
            status.condition("Ready", "False", "Suspended", "spec.suspend is true")
            return
        requested = (meta.get("annotations") or {}).get(m.RECONCILE_ANNOTATION)
        if self._fetch_due(spec) or requested != status.current.get("lastHandledReconcileAt"):
            await self.refresh(spec, meta, status)
            if requested:
                status["lastHandledReconcileAt"] = requested
                self.passes.request()
        outcome = await self.passes.run_if_due()
        if outcome is not None and self.summarized != outcome.info.id:
            self._summarize(status, outcome)
            self.summarized = outcome.info.id
            if self.notifier is not None and outcome.result is not None:
                tell_pass(self.notifier, outcome.result)

    def _fetch_due(self, spec: Mapping[str, Any]) -> bool:
        if self.last_fetch is None:
            return True
        return time.monotonic() - self.last_fetch >= m.parse_interval(spec.get("interval", "5m"))

    async def refresh(
        self, spec: Mapping[str, Any], meta: Mapping[str, Any], status: SourceStatus
    ) -> None:
        """Fetch, load and materialize, with no pass running meanwhile (a fetch rewrites
        the checkout a pass reads)."""
        try:
            with RECONCILE_SECONDS.labels("GitSource").time():
                async with self.passes.exclusive():
                    await self._materialize(spec, meta, status)
        except EucoraError as error:
            status.not_ready(error)
            raise
        self.last_fetch = time.monotonic()

    async def _materialize(
        self, spec: Mapping[str, Any], meta: Mapping[str, Any], status: SourceStatus
    ) -> None:
        ns, kube = self.source.namespace, self._deps.kube
        trust = self._deps.config.trust_root
        secrets = await resolve_secrets(spec, ns, kube, self.secrets_dir, default_trust=trust)
        loaded = await self._fetch(spec, secrets.git, status)
        counts = await self._apply_objects(loaded, meta.get("labels") or {})
        status["lastAppliedRevision"] = loaded.revision.commit
        self.config = SourceConfig.from_spec(
            self.source.key,
            spec,
            secrets.tenants,
            secrets.signers_file,
            secrets.trust_file,
            secrets.packages,
        )
        told = await notification_config(spec, ns, kube, f"GitSource {self.source.key}")
        self.notifier = await notifier_for(self.notifier, told)
        self.passes.update(self._engine_for, loaded)
        message = f"{loaded.revision.commit[:12]}: {counts}"
        status.condition("Fetched", "True", "Materialized", message)
        if not status.current.get("conditions"):
            status.condition("Ready", "Unknown", "Materialized", message)

    async def _fetch(
        self, spec: Mapping[str, Any], git: GitCredentials | None, status: SourceStatus
    ) -> LoadedRevision:
        cache = self._deps.config.cache_dir
        fetched = await asyncio.to_thread(fetch, spec["url"], m.ref_of(spec), cache, git)
        status["lastFetchedRevision"] = fetched.commit
        root = Path(fetched.path) / spec.get("path", ".")
        revision = Revision(str(root), fetched.commit, fetched.ref)
        return await asyncio.to_thread(self.revision.load, revision)

    async def _apply_objects(self, loaded: LoadedRevision, labels: Mapping[str, str]) -> str:
        """Create, update and delete DeploymentIntent objects to match the revision."""
        source, kube = self.source, self._deps.kube
        desired = m.desired_objects(
            loaded.repo, source=source.name, namespace=source.namespace, uid=source.uid,
            revision=loaded.revision.commit, source_labels=labels,
        )  # fmt: skip
        plan = m.plan(desired, await kube.owned_by(source.namespace, source.name))
        for obj in plan.create:
            await kube.create(obj)
        for obj in plan.update:
            await kube.replace_spec(obj)
        for gone in plan.delete:
            await kube.delete(source.namespace, gone)
        INTENTS.labels(source.namespace, source.name).set(len(desired))
        return f"{len(plan.create)} created, {len(plan.update)} updated, {len(plan.delete)} deleted"

    async def _engine_for(self, revision: Revision) -> Reconciler:
        assert self.config is not None  # noqa: S101 (set by the fetch that handed on the revision)
        return await self.engine.engine(self.config, self.passes.store, revision)

    async def _statuses(self) -> dict[str, Any]:
        owned = await self._deps.kube.owned_by(self.source.namespace, self.source.name)
        return {intent: obj.get("status") or {} for intent, obj in owned.items()}

    def _summarize(self, status: SourceStatus, outcome: PassOutcome) -> None:
        """The source's Ready condition and intent counts from its latest pass."""
        if outcome.error is not None:
            status.condition("Ready", "False", outcome.error.reason, outcome.error.message)
            return
        result = outcome.result
        if result is None:
            return
        # a merge patch: states no intent is in any more are set to None, which removes them
        counts: dict[str, int | None] = {state.value: None for state in Progress}
        counts["total"] = len(result.intents)
        for report in result.intents:
            counts[report.state.value] = (counts[report.state.value] or 0) + 1
        status["rings"] = list(result.rings)
        status["intents"] = counts
        record_states(
            self.source.namespace, self.source.name,
            {k: v or 0 for k, v in counts.items() if k != "total"},
        )  # fmt: skip
        if outcome.audit is not None:
            status["audit"] = dict(outcome.audit)
        status["pendingGovernance"] = [
            f"{p.kind} {p.name}: {'; '.join(p.loosenings)}; needs {p.needs}" for p in result.pending
        ]
        message = (
            f"{result.revision[:12]}: {len(result.intents)} intents, {result.writes} writes, "
            f"{len(result.errors)} failed"
        )
        if result.errors:
            status.condition("Ready", "False", "ApplyFailed", message)
        else:
            status.condition("Ready", "True", "Reconciled", message)

    # ------------------------------------------------------------- DeploymentIntent
    async def report_intent(
        self, name: str, generation: int | None, status: Mapping[str, Any]
    ) -> IntentUpdate | None:
        """This intent's part of the newest pass (run first if one is due); ``None`` when
        its status already shows that pass."""
        seen = self.reported.get(name) or (status.get("lastPass") or {}).get("id")
        outcome = await self.passes.outcome_for(seen)
        if outcome is None:
            return None
        self.reported[name], now = outcome.info.id, self._deps.clock()
        if outcome.error is not None:
            failure = failed_status(
                outcome.error, outcome.info, status, generation=generation, now=now
            )
            return IntentUpdate(
                None if unchanged(failure, status) else failure, error=outcome.error
            )
        report = outcome.report(name)
        if report is None:
            return None  # materialized after the pass began; the next one covers it
        update = intent_status(
            report, outcome.states.get(name), outcome.info, status, generation=generation, now=now
        )
        if unchanged(update, status):
            return None  # a quiet pass writes nothing to the cluster either
        events = tuple(intent_events(report, status, update))
        if self.notifier is not None and outcome.result is not None:
            tell_intent(self.notifier, report, events, result=outcome.result,
                        source=self.source.key, fleet=self.source.uid)  # fmt: skip
        return IntentUpdate(update, events)

    # ------------------------------------------------------------- lifetime
    def take_audit_problem(self) -> str | None:
        """What the first pass found wrong with the audit log, once."""
        problem, self.passes.audit_problem = self.passes.audit_problem, None
        return problem

    async def close(self) -> None:
        """Close the notifier, the engine's connectors and the held revision's tree."""
        if self.notifier is not None:
            await self.notifier.aclose(timeout=5)
            self.notifier = None
        await self.engine.close()
        self.revision.close()
