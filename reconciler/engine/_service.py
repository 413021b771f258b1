"""The reconcile service: one pass of load → evaluate → observe → gate → plan → record →
apply → record the pass.

:class:`Reconciler` is built once, by the composition root (``reconciler.compose``), with
its adapters — connectors, policy engine, state store, audit log, clock, and factories for
the history (provenance), the signature verifier and the package store of a revision —
and called once per pass: :meth:`Reconciler.reconcile` with a
:class:`~reconciler.domain.ports.Revision`, or :meth:`Reconciler.reconcile_loaded` with a
revision a caller has already loaded (:func:`~reconciler.engine.open_revision`). The
standalone loop (``eucora reconcile``), ``eucora plan`` (a dry run) and the operator all
go through here. The steps are :data:`~reconciler.engine._steps.STEPS` over one
:class:`~reconciler.engine._context.PassContext`; the pure work lives in
``reconciler.domain``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from reconciler.domain.governance import GovernanceContext, Provenance
from reconciler.domain.governed import resolve_governed
from reconciler.domain.ports import PackageStore, PolicyEngine, Revision, TenantConnector
from reconciler.domain.trust import EMPTY_TRUST, TrustRoot, Verifier
from reconciler.engine._audit import AuditLog
from reconciler.engine._context import PassContext, PassPorts, ProgressCallback, quiet
from reconciler.engine._load import LoadedRevision, open_revision, refuse_unusable
from reconciler.engine._memory import TrustMemory
from reconciler.engine._records import telemetry
from reconciler.engine._report import IntentReport, PassResult, ring_health
from reconciler.engine._state import Store
from reconciler.engine._steps import STEPS, Step
from reconciler.engine._trusted import (
    PolicySource,
    check_descent,
    pending_for,
    read_policy_files,
    untrusted_error,
    write_policy_files,
)

#: state-store meta key holding the newest applied pass's report as JSON
REPORT_META = "last_pass"

#: the history of a revision's fleet repo: (fleet repo in its work tree, commit) → Provenance
ProvenanceFactory = Callable[[Path, str], Provenance]
#: the package store of a pass: exported commit tree → PackageStore
PackageStoreFactory = Callable[[LoadedRevision], PackageStore]
#: the signature verifier of a pass (made afresh each pass: a rotated signers file counts)
VerifierFactory = Callable[[], Verifier]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Reconciler:
    """Makes the tenants match Git, one gated ring at a time."""

    def __init__(
        self,
        *,
        connectors: Mapping[str, TenantConnector],
        policy: PolicyEngine,
        store: Store,
        provenance: ProvenanceFactory,
        packages: PackageStoreFactory,
        verifiers: VerifierFactory,
        audit: AuditLog | None = None,
        clock: Callable[[], datetime] = utc_now,
        trust: TrustRoot = EMPTY_TRUST,
        policies: PolicySource | None = None,
        concurrency: int = 8,
        on_progress: ProgressCallback | None = None,
        steps: Sequence[Step] = STEPS,
    ) -> None:
        self.connectors = dict(connectors)
        self.policy = policy
        self.store = store
        self.provenance = provenance
        self.packages = packages
        self.verifiers = verifiers
        self.audit = audit
        self.clock = clock
        self.trust = trust
        self.policies = policies
        #: fixed verifier (tests); by default each pass asks ``verifiers`` afresh, so a
        #: rotated Secret or a revoked key takes effect on the next pass
        self.verifier: Verifier | None = None
        self.concurrency = concurrency
        self.on_progress = on_progress
        self.steps = tuple(steps)
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
        with open_revision(revision) as loaded:
            return await self._pass(loaded, now, started, dry_run=dry_run, only=only)

    async def reconcile_loaded(
        self, loaded: LoadedRevision, *, dry_run: bool = False, only: Sequence[str] | None = None
    ) -> PassResult:
        """One pass over a revision its caller already loaded (and still holds open):
        the same pass as :meth:`reconcile`, without loading it again."""
        started, now = time.perf_counter(), self.clock()
        check_descent(loaded.revision, self.store.meta("last_applied_revision"), self.acknowledged)
        return await self._pass(loaded, now, started, dry_run=dry_run, only=only)

    async def _pass(
        self, loaded: LoadedRevision, now: datetime, started: float, *,
        dry_run: bool, only: Sequence[str] | None,
    ) -> PassResult:  # fmt: skip
        ctx = self._begin(loaded, now, dry_run)
        for step in self.steps:
            if not (dry_run and step.writes):
                await step.run(ctx)
        result = _result(ctx, time.perf_counter() - started, only)
        if not dry_run:
            # what a dashboard reading the store shows: the newest pass, as reported
            self.store.set_meta(REPORT_META, json.dumps(result.to_dict(), default=str))
        return result

    def _begin(self, loaded: LoadedRevision, now: datetime, dry_run: bool) -> PassContext:
        """The load step's end: the revision checked, the governed documents in force
        resolved (the trusted policy set put back into the tree), the pass's ports."""
        refuse_unusable(loaded)
        memory = TrustMemory.load(self.store)
        context = GovernanceContext(
            provenance=self.provenance(loaded.tree.fleet, loaded.tree.commit),
            verifier=self.verifier or self.verifiers(),
            trust=self.trust,
            first_seen=memory.first_seen,
            withdrawn=memory.withdrawn,
        )
        resolution = resolve_governed(
            loaded.repo, memory.trusted, context, now, policy_files=loaded.policy_files
        )
        if not resolution.usable:
            if not dry_run:
                raise untrusted_error(resolution)
            # a plan still shows what the documents would do; the pending first trust is
            # reported as blocking and nothing is applied from an untrusted revision
            resolution = replace(resolution, repo=loaded.repo)
        # the trusted set while a loosening is pending, else the revision's own (a held
        # tree may still carry what an earlier pass put there)
        trusted = resolution.policy_files
        effective = loaded.policy_files if trusted is None else trusted
        if read_policy_files(loaded.root) != effective:
            write_policy_files(loaded.root, effective or {})
        if self.policies is not None:
            self.policy = self.policies.for_tree(loaded.root)
        ports = PassPorts(
            connectors=self.connectors,
            policy=self.policy,
            packages=self.packages(loaded),
            store=self.store,
            audit=self.audit,
            concurrency=self.concurrency,
            tick=self.on_progress or quiet,
        )
        # the engine that gates the promotions also decides CAB approval for the reports
        context = replace(context, policy=self.policy)
        return PassContext(loaded, now, dry_run, ports, memory, context, resolution)


def _result(ctx: PassContext, seconds: float, only: Sequence[str] | None) -> PassResult:
    """The pass as reported: one report per intent (or those in ``only``) and the totals."""
    fleet, plan, outcome = ctx.fleet, ctx.plan, ctx.outcome
    reports = [
        replace(
            IntentReport.build(
                item,
                ctx.progress[name],
                plan.for_intent(name),
                telemetry(fleet, item.intent, ctx.progress[name].ring, ctx.managed),
                outcome.errors.get(name, ()),
                dry_run=ctx.dry_run,
                ring_health=ring_health(fleet, item.intent, ctx.managed),
                compliance=ctx.facts.compliance.get(name),
            ),
            governance=pending_for(name, ctx.resolution, ctx.repo),
        )
        for name, item in sorted(ctx.evaluated.items())
        if only is None or name in only
    ]
    return PassResult(
        revision=ctx.revision.commit,
        at=ctx.now,
        dry_run=ctx.dry_run,
        intents=reports,
        orphans=list(plan.orphans),
        observed_requests=sum(s.requests for s in ctx.snapshots.values()),
        writes=outcome.writes,
        planned_writes=len(plan.writes),
        seconds=seconds,
        platforms=sorted({s.platform.value for s in ctx.snapshots.values()}),
        rings=list(fleet.ring_names),
        plan=plan,
        pending=list(ctx.resolution.pending),
    )
