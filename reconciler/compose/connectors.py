"""Composition root, connectors: for a tenant file, a running sandbox or an in-process one.

Entry points (``eucora reconcile`` / ``eucora plan`` / ``eucora demo``) call these once at
start-up; the :class:`~reconciler.engine.Reconciler` only sees ``TenantConnector`` s. A
tenant file names the tenant (ids and URLs); secrets come from the environment only
(``INTUNE_CLIENT_SECRET``, ``JAMF_CLIENT_SECRET``), and a file that carries one is refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from reconciler.connectors import (
    IntuneSettings,
    JamfSettings,
    RetryPolicy,
    intune_connector,
    jamf_connector,
)
from reconciler.domain.errors import ConfigurationError
from reconciler.domain.ports import TenantConnector
from reconciler.domain.tenant import Platform, TenantSnapshot

if TYPE_CHECKING:  # the type only: the operator never imports the emulator
    from reconciler.sandbox import Sandbox

_SECRET_KEYS = frozenset({"clientSecret", "client_secret", "password", "secret", "token"})
_INTUNE_KEYS = {"tenantId", "clientId", "graphUrl", "authorityUrl"}
_JAMF_KEYS = {"url", "clientId", "username", "policyCategory"}


class EmptyTenant:
    """A tenant with nothing in it, for planning without one (``eucora plan``)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    async def snapshot(self, ring_groups: Sequence[str]) -> TenantSnapshot:
        return TenantSnapshot(self.platform, ())

    async def aclose(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        raise ConfigurationError(f"planning against an empty tenant: {name} is not available")


def sandbox_connectors(
    sandbox: Sandbox, *, retry: RetryPolicy | None = None
) -> dict[Platform, TenantConnector]:
    """Connectors for an in-process sandbox (its credentials, its URLs)."""
    intune = IntuneSettings(
        tenant_id=sandbox.tenant_id,
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        graph_url=sandbox.graph_v1_url,
        authority_url=sandbox.authority_url,
    )
    jamf = JamfSettings(
        url=sandbox.jamf_url,
        client_id=sandbox.jamf_client_id,
        client_secret=sandbox.jamf_client_secret,
    )
    return {
        Platform.WINDOWS: intune_connector(intune, retry=retry, poll_interval=0.02),
        Platform.MACOS: jamf_connector(jamf, retry=retry),
    }


def url_connectors(
    url: str, env: Mapping[str, str] | None = None
) -> dict[Platform, TenantConnector]:
    """Connectors for a sandbox served elsewhere (``eucora sandbox serve``): every
    service at ``url``, ids and secrets from the ``INTUNE_*`` / ``JAMF_*`` environment."""
    env = dict(os.environ if env is None else env)
    base = url.rstrip("/")
    env.setdefault("INTUNE_GRAPH_URL", f"{base}/v1.0")
    env.setdefault("INTUNE_AUTHORITY_URL", base)
    env.setdefault("JAMF_URL", base)
    return _from_env(env)


def tenant_file_connectors(
    path: Path, env: Mapping[str, str] | None = None
) -> dict[Platform, TenantConnector]:
    """Connectors for the tenants a tenant file names (``--tenant FILE``)."""
    env = dict(os.environ if env is None else env)
    document = _read_tenant_file(path)
    intune, jamf = document.get("intune"), document.get("jamf")
    merged: dict[str, str] = {k: v for k, v in env.items() if k.endswith(("_SECRET", "_PASSWORD"))}
    if intune:
        merged.update(
            INTUNE_TENANT_ID=str(intune.get("tenantId", "")),
            INTUNE_CLIENT_ID=str(intune.get("clientId", "")),
            INTUNE_GRAPH_URL=str(intune.get("graphUrl", "")),
            INTUNE_AUTHORITY_URL=str(intune.get("authorityUrl", "")),
        )
    if jamf:
        merged.update(
            JAMF_URL=str(jamf.get("url", "")),
            JAMF_CLIENT_ID=str(jamf.get("clientId", "")),
            JAMF_USERNAME=str(jamf.get("username", "")),
        )
    return _from_env(merged, intune=bool(intune), jamf=bool(jamf), where=str(path))


def _from_env(
    env: Mapping[str, str], *, intune: bool = True, jamf: bool = True, where: str = "environment"
) -> dict[Platform, TenantConnector]:
    connectors: dict[Platform, TenantConnector] = {}
    try:
        if intune:
            connectors[Platform.WINDOWS] = intune_connector(IntuneSettings.from_mapping(env))
        if jamf:
            connectors[Platform.MACOS] = jamf_connector(JamfSettings.from_mapping(env))
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc.message}") from exc
    return connectors


def _read_tenant_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the tenant file: {exc.strerror}") from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigurationError(f"{path}{at}: not valid YAML/JSON") from exc
    if not isinstance(document, dict) or not ({"intune", "jamf"} & set(document)):
        raise ConfigurationError(f"{path}: expected a mapping with 'intune' and/or 'jamf'")
    lines = text.splitlines()
    for section, allowed in (("intune", _INTUNE_KEYS), ("jamf", _JAMF_KEYS)):
        body = document.get(section)
        if body is None:
            continue
        if not isinstance(body, dict):
            raise ConfigurationError(f"{path}: '{section}' must be a mapping")
        for key in body:
            line = next((n for n, t in enumerate(lines, 1) if f"{key}:" in t), 0)
            if key in _SECRET_KEYS:
                raise ConfigurationError(
                    f"{path}:{line}: {section}.{key}: secrets do not belong in the tenant file; "
                    f"set {section.upper()}_CLIENT_SECRET in the environment"
                )
            if key not in allowed:
                raise ConfigurationError(
                    f"{path}:{line}: {section}.{key}: unknown field (allowed: "
                    f"{', '.join(sorted(allowed))})"
                )
    unknown = set(document) - {"intune", "jamf"}
    if unknown:
        raise ConfigurationError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}")
    return document


async def close_all(connectors: Mapping[Platform, TenantConnector]) -> None:
    for connector in connectors.values():
        await connector.aclose()
