"""``eucora operator run`` off-cluster: a kubeconfig works, no cluster is one line, exit 5."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.domain.errors import ConfigurationError
from reconciler.operator.connection import from_kubeconfig, in_cluster, resolve_connection
from tests.operator.conftest import write_kubeconfig

runner = CliRunner()


@pytest.fixture
def off_cluster(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    return tmp_path


def test_a_kubeconfig_gives_server_and_token(off_cluster: Path) -> None:
    config = write_kubeconfig(off_cluster / "config", "https://127.0.0.1:6443")
    connection = from_kubeconfig(str(config))
    assert connection.server == "https://127.0.0.1:6443"
    assert connection.token == "s3cret-token"
    assert connection.where == f"kubeconfig {config}"
    assert resolve_connection(os.environ, str(config)).server == connection.server


def test_in_a_pod_the_service_account_wins(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("pod-token")
    found = in_cluster(
        {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}, tmp_path
    )
    assert found is not None and found.server == "https://10.0.0.1:443"
    assert found.token == "pod-token"
    assert in_cluster({}, tmp_path) is None


def test_neither_pod_nor_kubeconfig_is_one_line(off_cluster: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^no cluster: not running in a pod"):
        resolve_connection(os.environ)
    result = runner.invoke(app, ["operator", "run", "--standalone"])
    assert result.exit_code == 5
    assert result.stderr.startswith("error: InvalidConfiguration: no cluster: not running in a pod")
    assert "Traceback" not in result.stderr and "Invalid port" not in result.stderr


def test_an_unreachable_cluster_is_one_line(off_cluster: Path) -> None:
    config = write_kubeconfig(off_cluster / "config", "http://127.0.0.1:9")
    result = runner.invoke(app, ["operator", "run", "--kubeconfig", str(config)])
    assert result.exit_code == 5
    assert "no cluster: cannot reach http://127.0.0.1:9" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "s3cret" not in result.stderr
    missing = runner.invoke(app, ["operator", "run", "--kubeconfig", str(off_cluster / "nope")])
    assert missing.exit_code == 5 and "kubeconfig" in missing.stderr
