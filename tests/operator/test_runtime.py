"""Peering and sharding settings from the environment."""

from __future__ import annotations

from typing import Any

import kopf
import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.operator import connection
from reconciler.operator._runtime import DEFAULT_PEERING, Runtime


def test_defaults_peer_in_the_eucora_group_with_a_random_priority() -> None:
    runtime = Runtime.from_env({})
    assert runtime == Runtime(DEFAULT_PEERING, None, (), None)
    first, second = kopf.OperatorSettings(), kopf.OperatorSettings()
    runtime.apply(first)
    runtime.apply(second)
    assert first.peering.name == "eucora"
    assert first.peering.mandatory and first.peering.clusterwide
    assert first.peering.priority > 0
    assert first.peering.priority != second.peering.priority


def test_environment_sets_group_priority_namespaces_and_selector() -> None:
    runtime = Runtime.from_env({
        "EUCORA_PEERING": "eucora-emea", "EUCORA_PEERING_PRIORITY": "7",
        "EUCORA_NAMESPACES": "fleet-a, fleet-b", "EUCORA_LABEL_SELECTOR": "eucora.io/shard=emea",
    })  # fmt: skip
    assert runtime.namespaces == ("fleet-a", "fleet-b")
    settings = kopf.OperatorSettings()
    runtime.apply(settings)
    assert (settings.peering.name, settings.peering.priority) == ("eucora-emea", 7)
    assert settings.watching.label_selectors["eucora.io", "gitsources"] == "eucora.io/shard=emea"
    assert (
        settings.watching.label_selectors["eucora.io", "deploymentintents"]
        == "eucora.io/shard=emea"
    )


def test_command_line_choices_win_and_standalone_stays_unpeered() -> None:
    settings = kopf.OperatorSettings()
    settings.peering.name, settings.peering.priority = "from-cli", 3
    settings.peering.standalone = True
    Runtime.from_env({"EUCORA_PEERING": "env", "EUCORA_PEERING_PRIORITY": "9"}).apply(settings)
    assert (settings.peering.name, settings.peering.priority) == ("from-cli", 3)
    assert not settings.peering.mandatory


def _run_cli(monkeypatch: pytest.MonkeyPatch, *args: str, **env: str) -> dict[str, Any]:
    captured: dict[str, Any] = {}

    async def fake_operator(**kwargs: Any) -> None:
        captured.update(kwargs)

    monkeypatch.setattr(kopf, "operator", fake_operator)
    # a cluster to connect to (test_operator_run_offcluster covers finding none)
    found = connection.Connection("https://127.0.0.1:6443", None, True, "a test kubeconfig")
    monkeypatch.setattr(connection, "resolve_connection", lambda *_a, **_k: found)
    monkeypatch.setattr(connection, "check_reachable", lambda *_a, **_k: "v1.31.0")
    for key in ("EUCORA_NAMESPACES", "EUCORA_PEERING"):
        monkeypatch.delenv(key, raising=False)
    result = CliRunner().invoke(app, ["operator", "run", *args], env=env)
    assert result.exit_code == 0, result.output
    return captured


def test_cli_run_defaults_to_all_namespaces_in_the_eucora_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kwargs = _run_cli(monkeypatch)
    assert kwargs["clusterwide"] is True and kwargs["namespaces"] == []
    assert (kwargs["peering_name"], kwargs["standalone"]) == ("eucora", False)
    assert kwargs["liveness_endpoint"] == "http://0.0.0.0:8080/healthz"


def test_cli_run_shards_by_environment_or_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    kwargs = _run_cli(monkeypatch, EUCORA_NAMESPACES="a,b", EUCORA_PEERING="shard-1")
    assert (kwargs["namespaces"], kwargs["clusterwide"]) == (["a", "b"], False)
    assert kwargs["peering_name"] == "shard-1"
    kwargs = _run_cli(monkeypatch, "-n", "c", "--priority", "4", EUCORA_NAMESPACES="a")
    assert (kwargs["namespaces"], kwargs["priority"]) == (["c"], 4)
    kwargs = _run_cli(monkeypatch, "--standalone")
    assert (kwargs["peering_name"], kwargs["standalone"]) == (None, True)
