"""One pass's context: the ports it runs against and the records its steps hand on.

Made once per pass by :class:`~reconciler.engine.Reconciler` after the load step (the
revision loaded, checked and its governed documents resolved); each step of
:data:`~reconciler.engine._steps.STEPS` reads the records of the steps before it and sets
its own. Nothing is re-listed as parameters and nothing is computed twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reconciler.domain.governance import GovernanceContext
from reconciler.domain.governed import Resolution
from reconciler.domain.models import DeploymentIntent, FleetConfig, FleetRepo
from reconciler.domain.plan import Applied, Plan
from reconciler.domain.ports import PackageStore, PolicyEngine, Revision, TenantConnector
from reconciler.domain.progress import IntentProgress, StoredRing
from reconciler.domain.tenant import Platform, TenantSnapshot
from reconciler.engine._audit import AuditLog
from reconciler.engine._load import LoadedRevision
from reconciler.engine._memory import TrustMemory
from reconciler.engine._records import (
    ApplyOutcome,
    EvaluatedIntent,
    GateFacts,
    Managed,
    ProviderApps,
)
from reconciler.engine._state import Store

#: (step, done, total) — drives progress bars
ProgressCallback = Callable[[str, int, int], None]


def quiet(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class PassPorts:
    """What one pass runs against: tenants, policy engine, package store, state, log."""

    #: by provider name
    connectors: Mapping[str, TenantConnector]
    policy: PolicyEngine
    packages: PackageStore
    store: Store
    audit: AuditLog | None = None
    concurrency: int = 8
    tick: ProgressCallback = quiet


@dataclass(slots=True)
class PassContext:
    """Everything one pass knows, filled in step by step in the order of the flow."""

    loaded: LoadedRevision
    now: datetime
    dry_run: bool
    ports: PassPorts
    #: what the store remembers of trust (first-seen times, withdrawals, trusted documents)
    memory: TrustMemory
    governance: GovernanceContext
    #: the governed documents in force; ``resolution.repo`` is the repo the pass acts on
    resolution: Resolution
    # ---- set by the steps, in flow order
    evaluated: Mapping[str, EvaluatedIntent] = field(default_factory=dict)
    #: the intents with only their honoured ``supersedes``
    intents: Mapping[str, DeploymentIntent] = field(default_factory=dict)
    #: by provider name
    snapshots: Mapping[str, TenantSnapshot] = field(default_factory=dict)
    #: managed apps by provider and intent
    managed_by_provider: ProviderApps = field(default_factory=dict)
    #: managed apps by platform and intent (of every provider serving the platform)
    managed: Managed = field(default_factory=dict)
    stored: Mapping[str, StoredRing] = field(default_factory=dict)
    facts: GateFacts = field(default_factory=GateFacts)
    progress: Mapping[str, IntentProgress] = field(default_factory=dict)
    #: what the store held as applied when the pass began (the base for drift)
    applied: Mapping[tuple[str, Platform], Applied] = field(default_factory=dict)
    plan: Plan = field(default_factory=lambda: Plan(()))
    outcome: ApplyOutcome = field(default_factory=ApplyOutcome)

    @property
    def revision(self) -> Revision:
        return self.loaded.revision

    @property
    def root(self) -> Path:
        return self.loaded.root

    @property
    def repo(self) -> FleetRepo:
        return self.resolution.repo

    @property
    def fleet(self) -> FleetConfig:
        fleet = self.resolution.repo.fleet
        if fleet is None:  # pragma: no cover - the load step refuses a repo without one
            raise RuntimeError("a pass without a FleetConfig")
        return fleet
