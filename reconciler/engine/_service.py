"""The reconcile service: one pass of fetch → load → evaluate → observe → gate → plan →
apply → record.

:class:`Reconciler` is built once (connectors, policy engine, state store, audit log,
clock) and called once per pass with a :class:`~reconciler.domain.ports.Revision`; the
standalone loop (``eucora reconcile``), ``eucora plan`` (a dry run) and the operator all go
through :meth:`Reconciler.reconcile`. Each step is a method; the pure work (governance,
gates, planning) lives in ``reconciler.domain`` and this module only moves data between
the ports and the store.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import structlog

from reconciler.connectors import LocalPackageStore, correlation_id
from reconciler.domain.compliance import (
    CheckInHistory,
    ConnectivityConfig,
    RingCompliance,
    ring_compliance,
    update_histories,
)
from reconciler.domain.errors import (
    EucoraError,
    InvalidRepositoryError,
    NotReadyError,
    PackageError,
)
from reconciler.domain.governance import (
    GovernanceContext,
    IntentGovernance,
    NoProvenance,
    Provenance,
    evaluate_governance,
)
from reconciler.domain.governed import resolve_governed
from reconciler.domain.loader import LoadResult, load_repo
from reconciler.domain.models import DeploymentIntent, FleetConfig, FleetRepo
from reconciler.domain.plan import (
    Action,
    ActionKind,
    Applied,
    IntentPlan,
    Plan,
    all_ring_groups,
    build_plan,
    ring_groups,
)
from reconciler.domain.policy_input import effective_gates
from reconciler.domain.ports import PolicyEngine, Revision, TenantConnector
from reconciler.domain.progress import IntentProgress, Progress, StoredRing, decide_progress
from reconciler.domain.render import MissingScriptError, desired_apps, detection_scripts
from reconciler.domain.rollback import (
    RollbackFacts,
    build_key,
    observed_rollback,
    rollback_facts,
)
from reconciler.domain.tenant import (
    DesiredApp,
    DeviceInstall,
    InstallCounts,
    ObservedApp,
    Platform,
    TenantSnapshot,
)
from reconciler.domain.trust import EMPTY_TRUST, TrustRoot, Verifier
from reconciler.engine._audit import AuditLog
from reconciler.engine._memory import TrustMemory
from reconciler.engine._report import IntentReport, PassResult, RingHealth
from reconciler.engine._state import Store
from reconciler.engine._trusted import (
    PolicySource,
    check_descent,
    honoured_supersedes,
    pending_for,
    read_policy_files,
    remember,
    untrusted_error,
    write_policy_files,
)
from reconciler.gitops import CommittedTree, GitProvenance, SshVerifier, committed_tree

log = structlog.get_logger("eucora.engine")
_T = TypeVar("_T")

#: state-store meta key holding the newest applied pass's report as JSON
REPORT_META = "last_pass"

#: (step, done, total) — drives progress bars
ProgressCallback = Callable[[str, int, int], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Evaluated:
    """What the evaluate step knows of one intent."""

    intent: DeploymentIntent
    governance: IntentGovernance
    desired: tuple[DesiredApp, ...]


@dataclass(slots=True)
class _GateFacts:
    """What the gate step computes from the tenants and the store before deciding."""

    histories: dict[str, CheckInHistory]
    changed: dict[str, CheckInHistory]
    compliance: dict[str, RingCompliance]
    rollback: dict[str, RollbackFacts]


@dataclass(slots=True)
class _ApplyOutcome:
    writes: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: intents whose remaining writes wait for the tenant (not errors)
    deferred: set[str] = field(default_factory=set)


class Reconciler:
    """Makes the tenants match Git, one gated ring at a time."""

    def __init__(
        self,
        *,
        connectors: Mapping[Platform, TenantConnector],
        policy: PolicyEngine,
        store: Store,
        audit: AuditLog | None = None,
        clock: Callable[[], datetime] = utc_now,
        signers: Path | None = None,
        trust: TrustRoot = EMPTY_TRUST,
        policies: PolicySource | None = None,
        concurrency: int = 8,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.connectors = dict(connectors)
        self.policy = policy
        self.store = store
        self.audit = audit
        self.clock = clock
        self.signers = signers
        self.trust = trust
        self.policies = policies
        #: fixed verifier (tests); by default each pass reads the signers file afresh, so
        #: a rotated Secret or a revoked key takes effect on the next pass
        self.verifier: Verifier | None = None
        self.concurrency = concurrency
        self.on_progress = on_progress
        #: a revision that does not descend from the last applied one is refused unless
        #: its commit is acknowledged here (``--acknowledge-revision``)
        self.acknowledged: set[str] = set()

    # ---------------------------------------------------------------- the pass
    async def reconcile(
        self, revision: Revision, *, dry_run: bool = False, only: Sequence[str] | None = None
    ) -> PassResult:
        """One pass. ``dry_run`` computes the plan and writes nothing (tenant, store, log);
        ``only`` limits the report to these intents (the plan still covers all). Documents
        are read from the revision's commit, never from the work tree."""
        started, now = time.perf_counter(), self.clock()
        check_descent(revision, self.store.meta("last_applied_revision"), self.acknowledged)
        with committed_tree(Path(revision.path), revision.commit) as tree:
            return await self._pass(revision, tree, now, started, dry_run=dry_run, only=only)

    async def _pass(
        self, revision: Revision, tree: CommittedTree, now: datetime, started: float, *,
        dry_run: bool, only: Sequence[str] | None,
    ) -> PassResult:  # fmt: skip
        loaded = self._load(revision, tree.root)
        memory = TrustMemory.load(self.store)
        context = GovernanceContext(
            provenance=self._provenance_for(tree),
            verifier=self.verifier or SshVerifier(self.signers),
            trust=self.trust,
            first_seen=memory.first_seen,
            withdrawn=memory.withdrawn,
        )
        resolution = resolve_governed(
            loaded.repo, memory.trusted, context, now, policy_files=read_policy_files(tree.root)
        )
        if not resolution.usable:
            if not dry_run:
                raise untrusted_error(resolution)
            # a plan still shows what the documents would do; the pending first trust is
            # reported as blocking and nothing is applied from an untrusted revision
            resolution = replace(resolution, repo=loaded.repo)
        if resolution.policy_files is not None:
            write_policy_files(tree.root, resolution.policy_files)
        if self.policies is not None:
            self.policy = self.policies.for_tree(tree.root)
        # the engine that gates the promotions also decides CAB approval for the reports
        context = replace(context, policy=self.policy)
        repo = resolution.repo
        fleet = _needed(repo.fleet)
        self._tick("evaluate", 0, len(repo.intents))
        evaluated = self._evaluate(tree.root, repo, context, now)
        governance = {name: item.governance for name, item in evaluated.items()}
        intents = honoured_supersedes(repo, governance, context, now)
        snapshots = await self._observe(fleet)
        managed = _managed(snapshots)
        stored = {name: self.store.ring(name) for name in evaluated}
        applied = self.store.applied()
        facts = self._facts(fleet, evaluated, stored, managed, now)
        progress = self._gate(repo, fleet, evaluated, stored, managed, facts, now)
        plan = build_plan(
            fleet=fleet,
            intents=intents,
            desired={name: e.desired for name, e in evaluated.items()},
            progress=progress,
            snapshots=snapshots,
            applied=applied,
            protected=resolution.protected,
        )
        outcome = _ApplyOutcome()
        if not dry_run:
            self._record_decisions(revision, repo, progress, stored, now)
            self._record_devices(revision, fleet, evaluated, progress, managed, facts, now)
            outcome = await self._apply(revision, tree.root, plan, now)
            self._save_applied(plan, progress, managed, evaluated, outcome, applied, now)
            self._record_pass(revision, repo, plan, outcome, now)
            remember(memory, loaded.repo, resolution, governance, now)
            memory.save(self.store)
        reports = [
            replace(
                IntentReport.build(
                    evaluated[name],
                    progress[name],
                    plan.for_intent(name),
                    _telemetry(fleet, evaluated[name].intent, progress[name].ring, managed),
                    outcome.errors.get(name, []),
                    dry_run=dry_run,
                    ring_health=_ring_health(fleet, evaluated[name].intent, managed),
                    compliance=facts.compliance.get(name),
                ),
                governance=pending_for(name, resolution, repo),
            )
            for name in sorted(evaluated)
            if only is None or name in only
        ]
        result = PassResult(
            revision=revision.commit,
            at=now,
            dry_run=dry_run,
            intents=reports,
            orphans=list(plan.orphans),
            observed_requests=sum(s.requests for s in snapshots.values()),
            writes=outcome.writes,
            planned_writes=len(plan.writes),
            seconds=time.perf_counter() - started,
            platforms=sorted(p.value for p in snapshots),
            rings=list(fleet.ring_names),
            plan=plan,
            pending=list(resolution.pending),
        )
        if not dry_run:
            # what a dashboard reading the store shows: the newest pass, as reported
            self.store.set_meta(REPORT_META, json.dumps(result.to_dict(), default=str))
        return result

    # ---------------------------------------------------------------- steps
    def _tick(self, step: str, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(step, done, total)

    def _load(self, revision: Revision, root: Path) -> LoadResult:
        result = load_repo(root)
        if not result.ok:
            first = result.errors[0]
            where = revision.commit[:12] or revision.path
            raise InvalidRepositoryError(
                f"{len(result.errors)} error(s) in the fleet repo at {where}; "
                f"first: {first.location}: {first.message}",
                result.findings,
            )
        if result.repo.fleet is None or result.repo.risk_model is None:
            raise InvalidRepositoryError(
                "the fleet repo has no FleetConfig or its active risk model", result.findings
            )
        return result

    def _provenance_for(self, tree: CommittedTree) -> Provenance:
        if not tree.commit:
            return NoProvenance()
        try:
            return GitProvenance(tree.fleet, self.signers, tree.commit)
        except EucoraError:
            return NoProvenance()

    def _evaluate(
        self, root: Path, repo: FleetRepo, context: GovernanceContext, now: datetime
    ) -> dict[str, _Evaluated]:
        result = {}
        for done, (name, intent) in enumerate(sorted(repo.intents.items()), start=1):
            governance = evaluate_governance(repo, name, context, now)
            scripts = {}
            for script in detection_scripts(intent):
                path = root / script
                try:
                    if path.is_symlink():
                        raise PackageError(f"{intent.source.file}: detection script {script!r} "
                                           "is a symbolic link; refused")  # fmt: skip
                    scripts[script] = path.read_bytes()
                except OSError as exc:
                    raise PackageError(
                        f"{intent.source.file}: detection script {script!r} cannot be read: "
                        f"{exc.strerror}"
                    ) from exc
            try:
                desired = desired_apps(intent, scripts)
            except MissingScriptError as exc:  # pragma: no cover - read above
                raise PackageError(str(exc)) from exc
            result[name] = _Evaluated(intent, governance, desired)
            self._tick("evaluate", done, len(repo.intents))
        return result

    async def _observe(self, fleet: FleetConfig) -> dict[Platform, TenantSnapshot]:
        self._tick("observe", 0, len(self.connectors))
        platforms = sorted(self.connectors)
        snapshots = await asyncio.gather(
            *(self.connectors[p].snapshot(list(all_ring_groups(fleet, p))) for p in platforms)
        )
        self._tick("observe", len(platforms), len(platforms))
        return dict(zip(platforms, snapshots, strict=True))

    def _facts(
        self,
        fleet: FleetConfig,
        evaluated: Mapping[str, _Evaluated],
        stored: Mapping[str, StoredRing],
        managed: Managed,
        now: datetime,
    ) -> _GateFacts:
        """Check-in histories after this observation, each intent's time to compliance in
        its current ring and the facts of its way back."""
        before = self.store.device_histories()
        seen = [
            (intent, device)
            for apps in managed.values()
            for intent, observed in apps.items()
            for app in observed
            for devices in app.devices.values()
            for device in devices
        ]
        histories = update_histories(before, seen)
        changed = {k: v for k, v in histories.items() if before.get(k) != v}
        connectivity = ConnectivityConfig.from_spec(fleet.spec.get("connectivity"))
        compliance = {}
        rollback = {}
        for name, item in evaluated.items():
            ring = stored[name].ring
            if ring is not None:
                compliance[name] = ring_compliance(
                    intent=name,
                    ring=ring,
                    since=stored[name].entered_at,
                    devices=_ring_devices(fleet, name, ring, managed),
                    histories=histories,
                    config=connectivity,
                    now=now,
                )
            rollback[name] = rollback_facts(
                intent=item.intent,
                managed=managed,
                evidence=self.store.rollback_evidence(build_key(item.intent)),
            )
        return _GateFacts(histories, changed, compliance, rollback)

    def _gate(
        self,
        repo: FleetRepo,
        fleet: FleetConfig,
        evaluated: Mapping[str, _Evaluated],
        stored: Mapping[str, StoredRing],
        managed: Managed,
        facts: _GateFacts,
        now: datetime,
    ) -> dict[str, IntentProgress]:
        result = {}
        for done, (name, item) in enumerate(sorted(evaluated.items()), start=1):
            result[name] = decide_progress(
                intent=item.intent,
                fleet=fleet,
                stored=stored[name],
                governance=item.governance,
                telemetry=_telemetry(fleet, item.intent, stored[name].ring, managed),
                incidents=repo.incidents_for(name),
                policy=self.policy,
                now=now,
                rollback=facts.rollback[name],
                compliance=facts.compliance.get(name),
            )
            self._tick("gate", done, len(evaluated))
        return result

    def _record_decisions(
        self,
        revision: Revision,
        repo: FleetRepo,
        progress: Mapping[str, IntentProgress],
        before: Mapping[str, StoredRing],
        now: datetime,
    ) -> None:
        """Store where every intent stands, and log each decision that changed."""
        for name, state in sorted(progress.items()):
            previous = before[name]
            rolled_back = (
                repo.intents[name].digest
                if state.state is Progress.ROLLED_BACK
                else previous.rolled_back_digest
            )
            stored = StoredRing(state.ring, state.entered_at, rolled_back, state.reached)
            gate = state.last_gate
            entered = gate.to_dict() if state.moved and gate is not None else None
            self.store.save_ring(
                name, stored, state=state.state.value, reason=state.reason, now=now,
                entered=entered,
            )  # fmt: skip
            for outcome in state.gates:
                detail: dict[str, Any] = outcome.to_dict()
                changed = self.store.save_decision(
                    name, outcome.ring or "-", outcome.decision, detail, now
                )
                if changed and self.audit is not None:
                    self.audit.append(
                        "decision", revision=revision.commit, intent=name, now=now, **detail
                    )
            if state.moved and self.audit is not None:
                self.audit.append(
                    "ring-entered" if state.ring else "ring-left",
                    revision=revision.commit,
                    intent=name,
                    now=now,
                    ring=state.ring,
                    previous=state.previous_ring,
                    reason=state.reason,
                )
            if (
                state.state is Progress.ROLLED_BACK
                and previous.rolled_back_digest != rolled_back
                and self.audit is not None
            ):
                self.audit.append(
                    "rollback", revision=revision.commit, intent=name, now=now,
                    rings=list(state.reached), reason=state.reason,
                )  # fmt: skip

    def _record_devices(
        self,
        revision: Revision,
        fleet: FleetConfig,
        evaluated: Mapping[str, _Evaluated],
        progress: Mapping[str, IntentProgress],
        managed: Managed,
        facts: _GateFacts,
        now: datetime,
    ) -> None:
        """Keep the devices' check-in histories, and record each rollback seen to succeed
        in a ring before the first CAB ring (evidence for ``rollback-validated``)."""
        self.store.save_device_histories(facts.changed)
        for name, state in sorted(progress.items()):
            if state.state is Progress.ROLLED_BACK:
                rolled = state.reached
            elif state.drill_ring is not None:
                rolled = (state.drill_ring,)
            else:
                continue
            intent = evaluated[name].intent
            evidence = observed_rollback(
                intent=intent,
                fleet=fleet,
                reached=rolled,
                ring_groups={
                    ring: [g for p in managed for g in ring_groups(fleet, p, [ring])]
                    for ring in rolled
                },
                apps=[app for apps in managed.values() for app in apps.get(name, [])],
                histories=facts.histories,
                now=now,
            )
            known = self.store.rollback_evidence(build_key(intent))
            if evidence is None or (known is not None and known.devices >= evidence.devices):
                continue
            self.store.save_rollback_evidence(evidence)
            if self.audit is not None:
                self.audit.append(
                    "rollback-validated", revision=revision.commit, intent=name, now=now,
                    build=evidence.build, ring=evidence.ring, devices=evidence.devices,
                )  # fmt: skip

    async def _apply(
        self, revision: Revision, root: Path, plan: Plan, now: datetime
    ) -> _ApplyOutcome:
        outcome = _ApplyOutcome()
        store = LocalPackageStore(root)
        gate = asyncio.Semaphore(self.concurrency)
        chains = plan.chains()
        total, done = sum(len(c) for c in chains), 0
        self._tick("apply", 0, total + len(plan.orphans))

        async def run_chain(chain: list[IntentPlan]) -> None:
            nonlocal done
            async with gate:
                for intent_plan in chain:
                    await self._apply_intent(revision, intent_plan, store, outcome, now)
                    done += 1
                    self._tick("apply", done, total)

        # A TaskGroup, not gather: when one chain fails, the others are cancelled and awaited
        # before the pass ends, so no write of this pass can land while the next one runs.
        try:
            async with asyncio.TaskGroup() as group:
                for chain in chains:
                    group.create_task(run_chain(chain))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        for action in plan.orphans:
            if action.writes:
                await self._write(revision, action, {}, store, outcome, now)
        return outcome

    async def _apply_intent(
        self,
        revision: Revision,
        intent_plan: IntentPlan,
        store: LocalPackageStore,
        outcome: _ApplyOutcome,
        now: datetime,
    ) -> None:
        created: dict[Platform, str] = {}
        for action in intent_plan.writes:
            if not await self._write(revision, action, created, store, outcome, now):
                return  # the rest of this intent waits for the next pass

    async def _write(
        self,
        revision: Revision,
        action: Action,
        created: dict[Platform, str],
        store: LocalPackageStore,
        outcome: _ApplyOutcome,
        now: datetime,
    ) -> bool:
        platform = _needed(action.platform)
        connector = self.connectors[platform]
        request_id = str(uuid.uuid4())
        token = correlation_id.set(request_id)
        app_id = action.app_id or created.get(platform)
        try:
            match action.kind:
                case ActionKind.CREATE_APP:
                    app_id = await connector.create_app(_needed(action.app))
                    created[platform] = app_id
                case ActionKind.UPLOAD_CONTENT:
                    await connector.upload_content(_needed(app_id), _needed(action.app), store)
                case ActionKind.UPDATE_APP:
                    await connector.update_app(_needed(app_id), _needed(action.app))
                case ActionKind.SET_ASSIGNMENTS:
                    await connector.set_assignments(_needed(app_id), action.assignments)
                case ActionKind.DELETE_APP:
                    await connector.delete_app(_needed(app_id))
                case _:  # pragma: no cover - only writes reach here
                    return True
        except NotReadyError as exc:
            outcome.deferred.add(action.intent)
            log.info(
                "write deferred to the next pass", intent=action.intent,
                action=action.kind.value, platform=platform.value, reason=exc.message,
                correlation_id=request_id,
            )  # fmt: skip
            return False
        except EucoraError as exc:
            outcome.errors.setdefault(action.intent, []).append(
                f"{action.describe()}: {exc.reason}: {exc.message}"
            )
            log.warning(
                "write failed", intent=action.intent, action=action.kind.value,
                platform=platform.value, reason=exc.reason, error=exc.message,
                correlation_id=request_id,
            )  # fmt: skip
            self._log_write(revision, action, app_id, request_id, now, error=exc)
            return False
        finally:
            correlation_id.reset(token)
        outcome.writes += 1
        self._log_write(revision, action, app_id, request_id, now)
        return True

    def _log_write(
        self,
        revision: Revision,
        action: Action,
        app_id: str | None,
        request_id: str,
        now: datetime,
        error: EucoraError | None = None,
    ) -> None:
        if self.audit is None:
            return
        data: dict[str, Any] = action.to_dict()
        data.pop("intent")
        data["appId"] = app_id
        data["result"] = "ok" if error is None else f"{error.reason}: {error.message}"
        self.audit.append(
            "write", revision=revision.commit, correlation_id=request_id,
            intent=action.intent, now=now, **data,
        )  # fmt: skip

    def _save_applied(
        self,
        plan: Plan,
        progress: Mapping[str, IntentProgress],
        managed: Managed,
        evaluated: Mapping[str, _Evaluated],
        outcome: _ApplyOutcome,
        previous: Mapping[tuple[str, Platform], Applied],
        now: datetime,
    ) -> None:
        """Remember what Git wanted for each app that now exists, once all its writes
        went through; later differences from it are drift. ``previous`` is what the store
        held when the pass began (only this method changes it)."""
        for intent_plan in plan.intents:
            name = intent_plan.intent
            if (
                name in outcome.errors
                or name in outcome.deferred
                or progress[name].state is Progress.SUSPENDED
            ):
                continue
            written = {a.platform for a in intent_plan.writes}
            for app in evaluated[name].desired:
                platform = app.platform
                if platform not in managed:
                    continue
                exists = bool(managed[platform].get(name)) or platform in written
                if not exists:
                    continue
                applied = Applied(app.digest, intent_plan.assignments.get(platform, ()))
                if previous.get((name, platform)) != applied:
                    self.store.save_applied(name, platform, applied, now)

    def _record_pass(
        self, revision: Revision, repo: FleetRepo, plan: Plan, outcome: _ApplyOutcome,
        now: datetime,
    ) -> None:  # fmt: skip
        for gone in sorted(self.store.intents() - set(repo.intents)):
            self.store.forget(gone)
            if self.audit is not None:
                self.audit.append("intent-removed", revision=revision.commit, intent=gone, now=now)
        if not outcome.errors:
            self.store.set_meta("last_applied_revision", revision.commit)
        if self.audit is not None:
            if outcome.writes or plan.drift:
                self.audit.append(
                    "pass", revision=revision.commit, now=now, writes=outcome.writes,
                    errors=sum(len(e) for e in outcome.errors.values()),
                    drift=len(plan.drift),
                )  # fmt: skip
            self.store.set_meta("audit_head", self.audit.head)


def _needed(value: _T | None) -> _T:
    """A value the plan always provides for this action (a bug if it is missing)."""
    if value is None:
        raise RuntimeError("plan action lacks a value its kind requires")
    return value


Managed = Mapping[Platform, Mapping[str, list[ObservedApp]]]


def _managed(
    snapshots: Mapping[Platform, TenantSnapshot],
) -> dict[Platform, dict[str, list[ObservedApp]]]:
    """Managed apps by platform and intent, computed once per pass."""
    return {platform: snapshot.managed() for platform, snapshot in snapshots.items()}


def _telemetry(
    fleet: FleetConfig,
    intent: DeploymentIntent,
    ring: str | None,
    managed: Managed,
) -> InstallCounts:
    """Install results of the intent's apps in the groups of ``ring``, both platforms."""
    total = InstallCounts()
    if ring is None:
        return total
    for platform, apps in managed.items():
        groups = ring_groups(fleet, platform, [ring])
        for app in apps.get(intent.name, []):
            for group in groups:
                total = total + app.install.get(group, InstallCounts())
    return total


def _ring_health(
    fleet: FleetConfig, intent: DeploymentIntent, managed: Managed
) -> tuple[RingHealth, ...]:
    """Install results in every ring up to ``until``, with the gate each ring applies."""
    rings = fleet.ring_names
    last = rings.index(intent.rollout.until) if intent.rollout.until in rings else len(rings) - 1
    return tuple(
        RingHealth(
            ring, _telemetry(fleet, intent, ring, managed), effective_gates(fleet, intent, ring)
        )
        for ring in rings[: last + 1]
    )


def _ring_devices(
    fleet: FleetConfig, intent: str, ring: str, managed: Managed
) -> list[DeviceInstall]:
    """The targeted devices of the intent's apps in the groups of ``ring``, both platforms."""
    return [
        device
        for platform, apps in managed.items()
        for group in ring_groups(fleet, platform, [ring])
        for app in apps.get(intent, [])
        for device in app.devices.get(group, ())
    ]
