"""Composition root, engine: a :class:`~reconciler.engine.Reconciler` with its adapters.

The one place that names the adapters the engine runs on: git history
(:class:`~reconciler.gitops.GitProvenance`) and signatures
(:class:`~reconciler.gitops.SshVerifier`) against the signers file, and the installer
files of the pass's exported commit tree (:class:`~reconciler.connectors.LocalPackageStore`).
The CLI, the operator, the demo, the tests and the benchmarks build their engines here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from reconciler.connectors import LocalPackageStore
from reconciler.domain.errors import EucoraError
from reconciler.domain.governance import NoProvenance, Provenance
from reconciler.domain.ports import PolicyEngine, TenantConnector
from reconciler.domain.trust import EMPTY_TRUST, TrustRoot, Verifier
from reconciler.engine import AuditLog, PolicySource, Reconciler, Store, utc_now
from reconciler.gitops import GitProvenance, SshVerifier


def git_provenance(signers: Path | None) -> Callable[[Path, str], Provenance]:
    """The history of a fleet repo at a commit, its signatures checked against
    ``signers``; nothing (no history) outside git or without a commit."""

    def provenance(fleet: Path, commit: str) -> Provenance:
        if not commit:
            return NoProvenance()
        try:
            return GitProvenance(fleet, signers, commit)
        except EucoraError:
            return NoProvenance()

    return provenance


def build_reconciler(
    *,
    connectors: Mapping[str, TenantConnector],
    policy: PolicyEngine,
    store: Store,
    audit: AuditLog | None = None,
    clock: Callable[[], datetime] = utc_now,
    signers: Path | None = None,
    trust: TrustRoot = EMPTY_TRUST,
    policies: PolicySource | None = None,
    concurrency: int = 8,
) -> Reconciler:
    """The engine for these tenants and this store; ``signers`` (the allowed-signers file)
    is read afresh every pass."""

    def verifier() -> Verifier:
        return SshVerifier(signers)

    return Reconciler(
        connectors=connectors,
        policy=policy,
        store=store,
        provenance=git_provenance(signers),
        packages=LocalPackageStore,
        verifiers=verifier,
        audit=audit,
        clock=clock,
        trust=trust,
        policies=policies,
        concurrency=concurrency,
    )
