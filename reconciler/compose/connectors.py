"""The composition root of connectors: every way EUCORA gets its tenants' connectors.

Sits before the first pass, outside the engine: entry points (``eucora reconcile`` /
``plan`` / ``demo``) and the operator call these once per source; the
:class:`~reconciler.engine.Reconciler` only sees ``TenantConnector`` s keyed by provider
name. Every provider comes from ``reconciler.connectors.registry``: its settings keys
(``secret_prefix``) are read once per mapping (:class:`TenantSettings`), its connector is
built by its factory. Four sources of settings:

* a tenant file (``--tenant FILE``) names the tenants (ids and URLs) per provider section;
  secrets come from the environment only, and a file that carries one is refused;
* a sandbox served elsewhere (``--sandbox URL``): every service at that URL;
* an in-process sandbox (``eucora demo``, tests);
* a GitSource's tenant Secret (the operator), as a mapping of its keys.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from reconciler.connectors import RetryPolicy
from reconciler.connectors.registry import DEFAULT_PROVIDERS, PROVIDERS, Provider
from reconciler.domain.errors import ConfigurationError
from reconciler.domain.ports import TenantConnector
from reconciler.domain.tenant import Platform, TenantSnapshot

if TYPE_CHECKING:  # the type only: the operator never imports the emulator
    from reconciler.sandbox import Sandbox

Connectors = dict[str, TenantConnector]
_SECRET_KEYS = frozenset({"clientSecret", "client_secret", "password", "secret", "token"})


@dataclass(frozen=True, slots=True)
class TenantSettings:
    """Each provider's parsed settings, by provider name; a provider without keys in the
    mapping is not managed. Comparable, so a changed Secret rebuilds the connectors."""

    providers: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, str]) -> TenantSettings:
        """Settings of every provider whose keys ``data`` holds, each prefix parsed once."""
        parsed: dict[tuple[str, Any], Any] = {}
        found = []
        for name, entry in PROVIDERS.items():
            if not entry.has_settings(data):
                continue
            key = (entry.secret_prefix, entry.settings_from_mapping)
            if key not in parsed:
                parsed[key] = entry.settings_from_mapping(data)
            found.append((name, parsed[key]))
        return cls(tuple(found))

    def get(self, provider: str) -> Any | None:
        return dict(self.providers).get(provider)

    def __bool__(self) -> bool:
        return bool(self.providers)


class EmptyTenant:
    """A tenant with nothing in it, for planning without one (``eucora plan``)."""

    def __init__(self, provider: Provider, platform: Platform) -> None:
        self.provider = provider.name
        self.platform = platform

    async def snapshot(self, ring_groups: Sequence[str]) -> TenantSnapshot:
        return TenantSnapshot(self.platform, (), provider=self.provider)

    async def aclose(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        raise ConfigurationError(f"planning against an empty tenant: {name} is not available")


def empty_connectors() -> Connectors:
    """An empty tenant for every provider (planning names every app as new)."""
    return {name: EmptyTenant(entry, entry.platforms[0]) for name, entry in PROVIDERS.items()}


def settings_connectors(
    tenants: TenantSettings,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    where: str = "",
) -> Connectors:
    """A connector for every provider ``tenants`` holds settings for, built by its factory
    with ``options[provider]``."""
    options = options or {}
    connectors: Connectors = {}
    for name, settings in tenants.providers:
        try:
            connectors[name] = PROVIDERS[name].connect(settings, **options.get(name, {}))
        except ConfigurationError as exc:
            raise ConfigurationError(f"{where}: {exc.message}" if where else exc.message) from exc
    return connectors


def sandbox_connectors(
    sandbox: Sandbox,
    *,
    retry: RetryPolicy | None = None,
    providers: Iterable[str] = tuple(DEFAULT_PROVIDERS.values()),
) -> Connectors:
    """Connectors of ``providers`` (each platform's default unless named) for an
    in-process sandbox (its credentials, its URLs)."""
    env = {
        "INTUNE_TENANT_ID": sandbox.tenant_id,
        "INTUNE_CLIENT_ID": sandbox.client_id,
        "INTUNE_CLIENT_SECRET": sandbox.client_secret,
        "INTUNE_GRAPH_URL": sandbox.graph_v1_url,
        "INTUNE_AUTHORITY_URL": sandbox.authority_url,
        "JAMF_URL": sandbox.jamf_url,
        "JAMF_CLIENT_ID": sandbox.jamf_client_id,
        "JAMF_CLIENT_SECRET": sandbox.jamf_client_secret,
    }
    fast = {"retry": retry, "poll_interval": 0.02}
    options: dict[str, dict[str, Any]] = {"intune": fast, "intune-macos": fast}
    wanted = set(providers)
    tenants = TenantSettings.from_mapping(env)
    chosen = TenantSettings(tuple((n, s) for n, s in tenants.providers if n in wanted))
    return settings_connectors(chosen, options | {"jamf": {"retry": retry}})


def url_connectors(url: str, env: Mapping[str, str] | None = None) -> Connectors:
    """Connectors for a sandbox served elsewhere (``eucora sandbox serve``): every
    service at ``url``, ids and secrets from the providers' environment keys."""
    env = dict(os.environ if env is None else env)
    base = url.rstrip("/")
    env.setdefault("INTUNE_GRAPH_URL", f"{base}/v1.0")
    env.setdefault("INTUNE_AUTHORITY_URL", base)
    env.setdefault("JAMF_URL", base)
    return _from_env(env, [PROVIDERS[name] for name in DEFAULT_PROVIDERS.values()], "environment")


def tenant_file_connectors(path: Path, env: Mapping[str, str] | None = None) -> Connectors:
    """Connectors for the tenants a tenant file names (``--tenant FILE``)."""
    env = dict(os.environ if env is None else env)
    document = _read_tenant_file(path)
    merged: dict[str, str] = {k: v for k, v in env.items() if k.endswith(("_SECRET", "_PASSWORD"))}
    named = [p for p in PROVIDERS.values() if document.get(p.tenant_section)]
    for entry in named:
        body = document[entry.tenant_section]
        merged.update({key: str(body.get(field, "")) for field, key in entry.tenant_keys.items()})
    return _from_env(merged, named, str(path))


def _from_env(env: Mapping[str, str], providers: Any, where: str) -> Connectors:
    connectors: Connectors = {}
    parsed: dict[tuple[str, Any], Any] = {}
    try:
        for entry in providers:
            key = (entry.secret_prefix, entry.settings_from_mapping)
            if key not in parsed:
                parsed[key] = entry.settings_from_mapping(env)
            connectors[entry.name] = entry.connect(parsed[key])
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc.message}") from exc
    return connectors


def _sections() -> dict[str, set[str]]:
    sections: dict[str, set[str]] = {}
    for entry in PROVIDERS.values():
        sections.setdefault(entry.tenant_section, set()).update(entry.tenant_keys)
    return sections


def _read_tenant_file(path: Path) -> dict[str, Any]:
    sections = _sections()
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
    names = " and/or ".join(f"'{s}'" for s in sorted(sections))
    if not isinstance(document, dict) or not (set(sections) & set(document)):
        raise ConfigurationError(f"{path}: expected a mapping with {names}")
    lines = text.splitlines()
    for section, allowed in sorted(sections.items()):
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
    unknown = set(document) - set(sections)
    if unknown:
        raise ConfigurationError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}")
    return document


async def close_all(connectors: Mapping[Any, TenantConnector]) -> None:
    for connector in connectors.values():
        await connector.aclose()
