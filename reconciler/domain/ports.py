"""Ports: what the engine needs from the outside world, as Protocols.

Adapters implement them: ``reconciler.connectors`` (one package per MDM provider),
``reconciler.policy`` (embedded regopy, OPA server) and ``reconciler.gitops`` (git). The
engine depends only on these, so tests can run it against the in-process sandbox or fakes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from reconciler.domain.tenant import (
    Assignment,
    DesiredApp,
    PackageRef,
    Platform,
    TenantSnapshot,
)


@runtime_checkable
class TenantConnector(Protocol):
    """One MDM tenant for one platform, served by one provider (named in ``provider``).

    Every write is idempotent and carries the ownership marker; reads never write.
    Errors are :class:`reconciler.domain.errors.TenantError` subclasses.
    """

    provider: str
    platform: Platform

    async def snapshot(self, ring_groups: Sequence[str]) -> TenantSnapshot:
        """Managed apps (and unmanaged look-alikes) with assignments and, per group in
        ``ring_groups``, install counts."""
        ...

    async def create_app(self, app: DesiredApp) -> str:
        """Create the app object carrying the marker; returns its id."""
        ...

    async def upload_content(self, app_id: str, app: DesiredApp, store: PackageStore) -> None:
        """Upload the installer and commit it, so the app becomes assignable."""
        ...

    async def update_app(self, app_id: str, app: DesiredApp) -> None:
        """Write the desired properties and the marker (with the current digest)."""
        ...

    async def adopt_app(self, app_id: str, app: DesiredApp, related: Mapping[str, str]) -> None:
        """Take over an object made outside EUCORA: write the desired properties and stamp
        the marker. ``related`` names further objects taken over with it (a Jamf policy).
        Refuses (ConflictError) an object another intent's marker already claims."""
        ...

    async def set_assignments(self, app_id: str, assignments: Sequence[Assignment]) -> None:
        """Replace the app's assignments with exactly ``assignments``."""
        ...

    async def delete_app(self, app_id: str) -> None: ...

    async def aclose(self) -> None: ...


class PackageStore(Protocol):
    """Where installer files come from: the fleet repo (Git LFS included), https, S3 or
    Azure Blob.

    Hands out a local file whose sha256 and size were checked against ``ref`` just before
    it is returned (remote content is downloaded once into a content-addressed cache), so
    connectors stream the upload from disk and never hold an installer in memory. Raises
    :class:`reconciler.domain.errors.PackageError` when the content is absent or differs.
    """

    async def local_file(self, ref: PackageRef) -> Path: ...

    async def check_evidence(self, intent: str) -> None:
        """Raise :class:`~reconciler.domain.errors.PackageError` when the intent's SBOM or
        scan report no longer match what it declares (checked again before each upload)."""
        ...

    def script(self, file: str) -> bytes:
        """A repo file an intent runs (a detection script); a symbolic link is refused.
        Raises :class:`~reconciler.domain.errors.PackageError`."""
        ...


@dataclass(frozen=True, slots=True)
class Violation:
    id: str
    msg: str


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """A policy verdict. Engines fail closed: an error is a deny with id ``policy-error``."""

    allow: bool
    deny: tuple[Violation, ...] = ()
    warn: tuple[Violation, ...] = ()
    #: deny ids of the deciding policy set that only wait (METADATA ``custom.waits``):
    #: time or data lift them without anyone acting; not part of the decision's document
    waiting: frozenset[str] = field(default=frozenset(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "allow": self.allow,
            "deny": [{"id": v.id, "msg": v.msg} for v in self.deny],
            "warn": [{"id": v.id, "msg": v.msg} for v in self.warn],
        }


class PolicyEngine(Protocol):
    """Evaluates a Rego decision for an input document (``promotion`` or ``admission``)."""

    def decide(self, package: str, input_document: Mapping[str, Any]) -> PolicyDecision: ...


@dataclass(frozen=True, slots=True)
class Revision:
    """A checked-out fleet repo at one commit."""

    path: str
    commit: str
    ref: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
