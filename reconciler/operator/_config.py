"""How the operator process is configured: one typed :class:`OperatorConfig`, built once.

``eucora operator run`` and ``kopf run -m reconciler.operator`` build it from the
environment (:meth:`OperatorConfig.from_env`, the one place the operator reads
``EUCORA_*``); tests build it directly. It reaches the handlers through the registry that
:func:`reconciler.operator.operator_registry` makes for it, and from there the startup
handler's :class:`~reconciler.operator._state.OperatorState`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.domain.errors import ConfigurationError
from reconciler.operator._materialize import parse_interval
from reconciler.operator._runtime import Runtime

DEFAULT_CACHE = Path("/var/cache/eucora")
#: all interfaces: the pod's Service decides who reaches the dashboard
DEFAULT_DASHBOARD_HOST = "0.0.0.0"  # noqa: S104


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    """The dashboard of this replica's passes (``EUCORA_DASHBOARD_*``)."""

    port: int
    host: str = DEFAULT_DASHBOARD_HOST
    token: str | None = None
    user_header: str | None = None


@dataclass(frozen=True, slots=True)
class OperatorConfig:
    #: fetched checkouts (``EUCORA_CACHE_DIR``)
    cache_dir: Path = DEFAULT_CACHE
    #: one audit log per source (``EUCORA_AUDIT_DIR``, default ``<cache>/audit``)
    audit_dir: Path | None = None
    #: seconds between looks at each GitSource (``EUCORA_SOURCE_TICK``) and each
    #: DeploymentIntent (``EUCORA_INTENT_TICK``, default the source tick); fetches and
    #: passes have their own intervals
    source_tick: float = 10.0
    intent_tick: float | None = None
    #: seconds between passes of a source when nothing asks for one (``EUCORA_PASS_INTERVAL``)
    pass_interval: float = 60.0
    #: the trust root file for sources whose signers Secret has none (``EUCORA_TRUST_ROOT``)
    trust_root: Path | None = None
    #: Prometheus ``/metrics`` port (``EUCORA_METRICS_PORT``)
    metrics_port: int | None = None
    dashboard: DashboardConfig | None = None
    runtime: Runtime = field(default_factory=lambda: Runtime.from_env({}))

    @property
    def audit_path(self) -> Path:
        return self.audit_dir if self.audit_dir is not None else self.cache_dir / "audit"

    @property
    def intent_interval(self) -> float:
        return self.intent_tick if self.intent_tick is not None else self.source_tick

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OperatorConfig:
        def number(key: str, default: float | None) -> float | None:
            text = env.get(key, "").strip()
            if not text:
                return default
            try:
                return float(text)
            except ValueError:
                raise ConfigurationError(f"{key}={text!r} is not a number of seconds") from None

        def port(key: str) -> int | None:
            text = env.get(key, "").strip()
            if not text:
                return None
            if not text.isdigit():
                raise ConfigurationError(f"{key}={text!r} is not a port number")
            return int(text)

        def interval(key: str, default: str) -> float:
            text = env.get(key, "").strip() or default
            try:
                return parse_interval(text)
            except ValueError as exc:
                raise ConfigurationError(f"{key}: {exc}") from None

        dashboard_port = port("EUCORA_DASHBOARD_PORT")
        cache = Path(env.get("EUCORA_CACHE_DIR") or DEFAULT_CACHE)
        return cls(
            cache_dir=cache,
            audit_dir=Path(env["EUCORA_AUDIT_DIR"]) if env.get("EUCORA_AUDIT_DIR") else None,
            source_tick=number("EUCORA_SOURCE_TICK", 10.0) or 10.0,
            intent_tick=number("EUCORA_INTENT_TICK", None),
            pass_interval=interval("EUCORA_PASS_INTERVAL", "1m"),
            trust_root=Path(env["EUCORA_TRUST_ROOT"]) if env.get("EUCORA_TRUST_ROOT") else None,
            metrics_port=port("EUCORA_METRICS_PORT"),
            dashboard=None
            if dashboard_port is None
            else DashboardConfig(
                port=dashboard_port,
                host=env.get("EUCORA_DASHBOARD_HOST") or DEFAULT_DASHBOARD_HOST,
                token=env.get("EUCORA_DASHBOARD_TOKEN") or None,
                user_header=env.get("EUCORA_DASHBOARD_USER_HEADER") or None,
            ),
            runtime=Runtime.from_env(env),
        )
