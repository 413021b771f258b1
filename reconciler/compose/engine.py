"""Composition root, engine: a :class:`~reconciler.engine.Reconciler` with its adapters.

The one place that names the adapters the engine runs on: git history
(:class:`~reconciler.gitops.GitProvenance`) and signatures
(:class:`~reconciler.gitops.SshVerifier`) against the signers file, and the installer
files of the pass's exported commit tree, Git LFS, https, S3 or Azure Blob
(:class:`~reconciler.packages.PackageSources`).
The CLI, the operator, the demo, the tests and the benchmarks build their engines here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from reconciler.domain.errors import EucoraError
from reconciler.domain.governance import NoProvenance, Provenance
from reconciler.domain.ports import PackageStore, PolicyEngine, TenantConnector
from reconciler.domain.trust import EMPTY_TRUST, TrustRoot, Verifier
from reconciler.engine import (
    AuditLog,
    LoadedRevision,
    PolicySource,
    Reconciler,
    Store,
    utc_now,
)
from reconciler.gitops import GitProvenance, SshVerifier
from reconciler.packages import PackageSources, StoreCredentials


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


def package_sources(
    cache: Path | None = None, credentials: StoreCredentials | None = None
) -> Callable[[LoadedRevision], PackageStore]:
    """The package store of each pass: the revision's exported tree, its checkout (for
    ``git lfs``), the download cache (None: ``EUCORA_PACKAGE_CACHE`` or the user cache) and
    the object stores' credentials; every intent's evidence pack is checked at upload."""

    def open_store(loaded: LoadedRevision) -> PackageStore:
        return PackageSources(
            loaded.root,
            checkout=Path(loaded.revision.path),
            cache=cache,
            credentials=credentials,
            evidence={name: intent.spec for name, intent in loaded.repo.intents.items()},
        )

    return open_store


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
    package_cache: Path | None = None,
    package_credentials: StoreCredentials | None = None,
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
        packages=package_sources(package_cache, package_credentials),
        verifiers=verifier,
        audit=audit,
        clock=clock,
        trust=trust,
        policies=policies,
        concurrency=concurrency,
    )
