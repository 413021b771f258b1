"""The first hour: eucora init, example init that does not go stale, a clock that starts
now, and a served sandbox that tells the shell what it needs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import git
import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.cli._sandbox_env import export_lines, tenant_file, variables
from reconciler.gitops._example import TOUR_DAY, shift_dates
from reconciler.sandbox import Sandbox
from tests.conftest import ROOT

runner = CliRunner()
SIGNERS = ROOT / "examples" / "keys" / "allowed_signers"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.M)


def _schema_hints_resolve(repo: Path) -> int:
    """Every document's $schema line names a schema inside the repo, of the document's kind."""
    count = 0
    for path in repo.rglob("*.yaml"):
        if ".git" in path.parts:
            continue
        match = MODELINE.search(path.read_text())
        assert match, f"{path} has no schema line"
        schema = (path.parent / match[1]).resolve()
        assert repo.resolve() in schema.parents, f"{path}: {match[1]} leaves the repo"
        assert schema.is_file(), f"{path}: {match[1]} does not exist"
        kind = re.search(r"^kind: (\w+)$", path.read_text(), re.M)
        assert kind and json.loads(schema.read_text())["title"] == kind[1]
        count += 1
    return count


def test_init_makes_a_repo_that_validates_with_working_hints(tmp_path: Path) -> None:
    repo = tmp_path / "fleet"
    result = runner.invoke(app, ["init", str(repo), "--owner", "dana@contoso.example"])
    assert result.exit_code == 0, result.output
    assert (repo / ".gitignore").read_text().splitlines()[-1] == ".eucora/"
    assert _schema_hints_resolve(repo) == 2
    validate = runner.invoke(app, ["validate", str(repo), "-f", "json"])
    assert validate.exit_code == 0 and json.loads(validate.stdout)["documents"] == 2
    assert "dana@contoso.example" in (repo / "fleet.yaml").read_text()
    again = runner.invoke(app, ["init", str(repo)])
    assert again.exit_code == 2 and "not empty" in again.stderr


def test_example_init_dates_its_history_from_today(tmp_path: Path) -> None:
    repo = tmp_path / "example"
    result = runner.invoke(app, ["example", "init", str(repo), "-f", "json"])
    assert result.exit_code == 0
    today = datetime.now(UTC).date()
    assert json.loads(result.stdout)["asOf"] == today.isoformat()
    head = git.Repo(repo).head.commit
    assert abs((head.committed_datetime.date() - today).days) <= 1
    assert ".eucora/" in (repo / ".gitignore").read_text()
    assert _schema_hints_resolve(repo) >= 30
    # no --at: approvals are fresh today, so the tour reads as it was written
    status = runner.invoke(
        app, ["cab", "status", "sap-gui-8.00", "--repo", str(repo), "--signers", str(SIGNERS),
              "-f", "json"],
    )  # fmt: skip
    assert json.loads(status.stdout)["approvedRings"] == ["pilot", "broad", "global"]
    assert runner.invoke(app, ["validate", str(repo)]).exit_code == 0
    # and .eucora/ never lands in it
    (repo / ".eucora").mkdir()
    (repo / ".eucora" / "state.db").write_text("x")
    assert git.Repo(repo).untracked_files == []


def test_a_year_later_the_tour_still_holds(tmp_path: Path) -> None:
    later = (TOUR_DAY + timedelta(days=400)).isoformat()
    repo = tmp_path / "later"
    assert runner.invoke(app, ["example", "init", str(repo), "--as-of", later]).exit_code == 0
    at = f"{later}T12:00:00Z"
    status = runner.invoke(
        app, ["cab", "status", "sap-gui-8.00", "--repo", str(repo), "--signers", str(SIGNERS),
              "--at", at, "-f", "json"],
    )  # fmt: skip
    assert json.loads(status.stdout)["approvedRings"] == ["pilot", "broad", "global"]


def test_shift_dates_moves_dates_and_date_times_only() -> None:
    text = "approvedAt: 2026-11-19T10:00:00Z\nsince: 2026-09-14\nname: inc-2026-077\n"
    assert shift_dates(text, 12) == (
        "approvedAt: 2026-12-01T10:00:00Z\nsince: 2026-09-26\nname: inc-2026-077\n"
    )


async def test_the_sandbox_clock_starts_when_told() -> None:
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    async with Sandbox(devices_windows=10, devices_macos=4, start=start) as sandbox:
        assert sandbox.now() == start
        sandbox.advance(hours=6)
        assert sandbox.now() == start + timedelta(hours=6)


def test_reconcile_sandbox_start_defaults_to_now_and_takes_a_time(tmp_path: Path) -> None:
    bad = runner.invoke(app, ["reconcile", str(ROOT / "examples/fleet-repo"), "--sandbox",
                              "--sandbox-start", "tomorrow", "-f", "json"])  # fmt: skip
    assert bad.exit_code == 2 and "--sandbox-start" in json.loads(bad.stdout)["error"]["message"]
    from reconciler.cli.reconcile import parse_start

    assert abs((parse_start(None, "x") - datetime.now(UTC)).total_seconds()) < 5
    assert parse_start("2027-01-02T03:04:05Z", "x") == datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    del tmp_path


def test_sandbox_env_exports_and_tenant_file_drive_the_connectors(tmp_path: Path) -> None:
    info = {
        "graphUrl": "http://127.0.0.1:9", "tenantId": "t", "clientId": "c",
        "clientSecret": "s e c", "jamfUrl": "http://127.0.0.1:9", "jamfClientId": "j",
        "jamfClientSecret": "js",
    }  # fmt: skip
    lines = export_lines(info)
    assert "export INTUNE_CLIENT_SECRET='s e c'" in lines
    assert "export INTUNE_GRAPH_URL=http://127.0.0.1:9/v1.0" in lines
    assert export_lines(info, secrets_only=True) == [
        "export INTUNE_CLIENT_SECRET='s e c'", "export JAMF_CLIENT_SECRET=js",
    ]  # fmt: skip
    from reconciler.compose.connectors import tenant_file_connectors

    path = tmp_path / "tenant.yaml"
    path.write_text(tenant_file(info))
    secrets = {k: v for k, v in variables(info).items() if "SECRET" in k}
    connectors = tenant_file_connectors(path, secrets)
    # the intune section serves both Intune providers (Windows and macOS)
    assert sorted(connectors) == ["intune", "intune-macos", "jamf"]
    assert "s e c" not in path.read_text()


@pytest.mark.timeout(120)
def test_sandbox_env_waits_for_a_served_sandbox(tmp_path: Path) -> None:
    eucora = str(Path(sys.executable).parent / "eucora")
    server = subprocess.Popen(
        [eucora, "sandbox", "serve", "--port", "0", "--devices", "70", "--format", "json"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        url = json.loads(server.stdout.readline())["graphUrl"]
        out = subprocess.run(
            [eucora, "sandbox", "env", url, "--tenant-file", str(tmp_path / "t.yaml")],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert out.startswith("export INTUNE_TENANT_ID=")
        assert f"graphUrl: {url}/v1.0" in (tmp_path / "t.yaml").read_text()
    finally:
        server.terminate()
        server.wait(timeout=20)
    gone = subprocess.run(
        [eucora, "sandbox", "env", url, "--wait", "0.5"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert gone.returncode == 4 and "no sandbox answers" in gone.stderr


def test_dates_are_dates() -> None:
    assert date.fromisoformat(TOUR_DAY.isoformat()) == TOUR_DAY
