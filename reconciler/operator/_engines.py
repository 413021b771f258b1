"""The :class:`~reconciler.engine.Reconciler` of one GitSource, built from what its
Secrets and spec name, and rebuilt only when those change.

The connectors are made here, after start-up, so the HTTP observers registered at
start-up (metrics) see their requests; a rotated tenant Secret closes the old connectors
and builds new ones on the next fetch. The policy engine follows the revision: built-in
policies plus the repo's ``policies/``, embedded or pushed to the OPA server named by
``spec.policy.opaUrl``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.compose import RevisionPolicies, build_reconciler
from reconciler.compose.connectors import TenantSettings, close_all, settings_connectors
from reconciler.domain.errors import ConfigurationError
from reconciler.domain.ports import Revision, TenantConnector
from reconciler.domain.trust import EMPTY_TRUST, load_trust_root
from reconciler.engine import AuditLog, Reconciler, Store
from reconciler.packages import StoreCredentials


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """What a source's engine is built from; any change rebuilds it."""

    name: str
    tenants: TenantSettings
    signers: Path | None
    opa_url: str = ""
    trust: Path | None = None
    packages: StoreCredentials | None = None

    @classmethod
    def from_spec(
        cls,
        name: str,
        spec: Mapping[str, Any],
        tenants: TenantSettings,
        signers: Path | None,
        trust: Path | None = None,
        packages: StoreCredentials | None = None,
    ) -> SourceConfig:
        policy = spec.get("policy") or {}
        opa_url = str(policy.get("opaUrl") or "") if policy.get("engine") == "opa" else ""
        if policy.get("engine") == "opa" and not opa_url:
            raise ConfigurationError(f"GitSource {name}: spec.policy.engine is opa but no opaUrl")
        return cls(name, tenants, signers, opa_url, trust, packages)


@dataclass(slots=True)
class _Built:
    config: SourceConfig
    engine: Reconciler
    policies: RevisionPolicies


class SourceEngine:
    """The engine of one source, its audit log at ``audit_path``."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        audit_path: Path,
        connector_options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.clock = clock
        self.audit_path = audit_path
        self.connector_options = dict(connector_options or {})
        self._built: _Built | None = None

    async def engine(self, config: SourceConfig, store: Store, revision: Revision) -> Reconciler:
        built = self._built
        if built is None or built.config != config:
            await self.close()
            policies = RevisionPolicies(config.opa_url)
            engine = build_reconciler(
                connectors=self._connectors(config),
                policy=policies.for_revision(revision),
                store=store,
                audit=AuditLog(self.audit_path, actor="eucora-operator"),
                clock=self.clock,
                signers=config.signers,
                trust=load_trust_root(config.trust) if config.trust else EMPTY_TRUST,
                policies=policies,
                package_credentials=config.packages,
            )
            built = self._built = _Built(config, engine, policies)
        built.engine.policy = built.policies.for_revision(revision)
        # the trust root is re-read every pass: a rotated Secret takes effect at once
        built.engine.trust = load_trust_root(config.trust) if config.trust else EMPTY_TRUST
        return built.engine

    def _connectors(self, config: SourceConfig) -> dict[str, TenantConnector]:
        connectors = settings_connectors(
            config.tenants, self.connector_options, where=f"GitSource {config.name}"
        )
        if not connectors:
            raise ConfigurationError(
                f"GitSource {config.name} names no tenant: set tenantSecretRef to a Secret "
                "with the keys of at least one provider (INTUNE_*, JAMF_*)"
            )
        return connectors

    async def close(self) -> None:
        """Close the connectors (the next pass builds new ones)."""
        built, self._built = self._built, None
        if built is not None:
            await close_all(built.engine.connectors)
