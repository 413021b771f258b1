"""The operator's config: read from the environment once, and what its registry gives kopf."""

from __future__ import annotations

from pathlib import Path

import kopf
import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.domain.errors import ConfigurationError
from reconciler.operator import DashboardConfig, OperatorConfig
from reconciler.operator._registry import register_from_env
from reconciler.operator._runtime import Runtime


def test_defaults_without_environment() -> None:
    config = OperatorConfig.from_env({})
    assert config == OperatorConfig()
    assert config.cache_dir == Path("/var/cache/eucora")
    assert config.audit_path == Path("/var/cache/eucora/audit")
    assert (config.source_tick, config.intent_interval, config.pass_interval) == (10, 10, 60)
    assert config.trust_root is None and config.metrics_port is None
    assert config.dashboard is None
    assert config.runtime == Runtime.from_env({})


def test_every_setting_from_the_environment() -> None:
    config = OperatorConfig.from_env({
        "EUCORA_CACHE_DIR": "/c", "EUCORA_AUDIT_DIR": "/a", "EUCORA_SOURCE_TICK": "0.5",
        "EUCORA_INTENT_TICK": "2", "EUCORA_PASS_INTERVAL": "1h30m",
        "EUCORA_TRUST_ROOT": "/keys/trust-root.yaml", "EUCORA_METRICS_PORT": "9090",
        "EUCORA_DASHBOARD_PORT": "8081", "EUCORA_DASHBOARD_HOST": "127.0.0.1",
        "EUCORA_DASHBOARD_TOKEN": "t0ken", "EUCORA_DASHBOARD_USER_HEADER": "X-User",
        "EUCORA_PEERING": "emea", "EUCORA_NAMESPACES": "a,b",
    })  # fmt: skip
    assert config.audit_path == Path("/a") and config.cache_dir == Path("/c")
    assert (config.source_tick, config.intent_interval, config.pass_interval) == (0.5, 2, 5400)
    assert config.trust_root == Path("/keys/trust-root.yaml")
    assert config.metrics_port == 9090
    assert config.dashboard == DashboardConfig(8081, "127.0.0.1", "t0ken", "X-User")
    assert config.runtime.peering == "emea" and config.runtime.namespaces == ("a", "b")
    # the dashboard listens on all interfaces unless told otherwise
    assert OperatorConfig.from_env({"EUCORA_DASHBOARD_PORT": "1"}).dashboard == DashboardConfig(1)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("EUCORA_PASS_INTERVAL", "soon", "EUCORA_PASS_INTERVAL: not a duration"),
        ("EUCORA_SOURCE_TICK", "fast", "EUCORA_SOURCE_TICK='fast' is not a number"),
        ("EUCORA_METRICS_PORT", "http", "EUCORA_METRICS_PORT='http' is not a port"),
        ("EUCORA_DASHBOARD_PORT", "-1", "EUCORA_DASHBOARD_PORT='-1' is not a port"),
    ],
)
def test_bad_settings_are_configuration_errors(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        OperatorConfig.from_env({key: value})


def test_operator_run_refuses_a_bad_setting_with_exit_5() -> None:
    result = CliRunner().invoke(app, ["operator", "run"], env={"EUCORA_PASS_INTERVAL": "soon"})
    assert result.exit_code == 5, result.output
    assert "EUCORA_PASS_INTERVAL" in result.output


def test_a_bad_setting_fails_the_start_not_the_import() -> None:
    registry = kopf.OperatorRegistry()
    register_from_env(registry, {"EUCORA_METRICS_PORT": "http"})
    (startup,) = registry._activities.get_all_handlers()  # kopf lists no handlers publicly
    with pytest.raises(kopf.PermanentError, match="EUCORA_METRICS_PORT='http' is not a port"):
        startup.fn()
