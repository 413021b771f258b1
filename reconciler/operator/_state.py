"""The operator's memory between handler runs: one typed object in kopf's memo.

:class:`OperatorState` holds what the process shares (config, Kubernetes client, clock,
the private directory for key files) and one :class:`GitSourceService` per GitSource uid;
everything kept about a source lives in its service, so forgetting a source is one call.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.engine import utc_now
from reconciler.operator._config import OperatorConfig
from reconciler.operator._kube import KubeClient
from reconciler.operator._service import Dependencies, GitSourceService, SourceRef
from reconciler.operator.connection import resolve_connection


@dataclass(frozen=True, slots=True)
class Wiring:
    """What a registry's operator is started with: its config and, in tests, the client,
    clock and connector options to use instead of the defaults."""

    config: OperatorConfig
    kube: KubeClient | None = None
    clock: Callable[[], datetime] = utc_now
    connector_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def in_cluster_client() -> KubeClient:
    """The service account in a pod; the kubeconfig (KUBECONFIG) on a workstation."""
    connection = resolve_connection(os.environ)
    return KubeClient(connection.server, token=connection.token, verify=connection.verify)


@dataclass(slots=True)
class OperatorState:
    deps: Dependencies
    #: source uid → its service
    sources: dict[str, GitSourceService] = field(default_factory=dict)
    #: closes what start-up opened besides the sources (dashboard, observers, client)
    closers: list[Callable[[], Any]] = field(default_factory=list)

    @classmethod
    def create(cls, wiring: Wiring) -> OperatorState:
        # key files from Secrets live outside the cache, in a private directory per process
        secrets_dir = Path(tempfile.mkdtemp(prefix="eucora-secrets-"))
        kube = wiring.kube if wiring.kube is not None else in_cluster_client()
        deps = Dependencies(
            wiring.config, kube, wiring.clock, secrets_dir, wiring.connector_options
        )
        return cls(deps)

    @property
    def config(self) -> OperatorConfig:
        return self.deps.config

    def source(self, ref: SourceRef, status: Mapping[str, Any]) -> GitSourceService:
        """The service of ``ref``, made on first sight (carrying on from its status)."""
        if ref.uid not in self.sources:
            anchor = (status.get("audit") or {}).get("head")
            self.sources[ref.uid] = GitSourceService(ref, self.deps, audit_anchor=anchor)
        return self.sources[ref.uid]

    async def forget(self, uid: str) -> None:
        """A deleted source: its passes, settings, notifier, engine and key files."""
        service = self.sources.pop(uid, None)
        if service is not None:
            await service.close()
        shutil.rmtree(self.deps.secrets_dir / uid, ignore_errors=True)

    async def close(self) -> None:
        for uid in list(self.sources):
            await self.forget(uid)
        for close in reversed(self.closers):
            if (waiting := close()) is not None:
                await waiting
        await self.deps.kube.close()
        shutil.rmtree(self.deps.secrets_dir, ignore_errors=True)
