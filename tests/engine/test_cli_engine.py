"""``eucora plan``, ``eucora reconcile``, ``eucora audit verify`` from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.engine import AuditLog
from tests.engine._harness import SIGNERS, edit

runner = CliRunner()


def test_plan_markdown_for_a_pr_lists_changed_intents_with_ring_progress(fleet: Path) -> None:
    edit(fleet, "intents/vlc-3.0.21.yaml", "suspend: true", "suspend: false")
    result = runner.invoke(
        app,
        ["plan", str(fleet), "--base", "HEAD~1", "--format", "markdown", "--signers", str(SIGNERS)],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("<!-- eucora-plan -->\n### EUCORA plan\n\n1 changed intent(s)")
    assert "<summary>▶️ <b>vlc-3.0.21</b> — progresses" in result.output
    assert "lab ✅ canary · pilot · broad ·" in result.output
    assert "create Intune win32LobApp" in result.output


def test_plan_exits_1_when_admission_denies(fleet: Path) -> None:
    edit(fleet, "intents/rdm-admin-2024.3.yaml", "signed: true", "signed: false")
    result = runner.invoke(app, ["plan", str(fleet), "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.output)
    rdm = next(i for i in document["intents"] if i["name"] == "rdm-admin-2024.3")
    assert any("privileged-unsigned" in b for b in rdm["blocking"])


def test_reconcile_then_audit_verify_catches_tampering(fleet: Path, tmp_path: Path) -> None:
    state = tmp_path / "state" / "state.db"
    result = runner.invoke(
        app,
        ["reconcile", str(fleet), "--sandbox", "--state", str(state), "--format", "json",
         "--signers", str(SIGNERS)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["writes"] > 0
    log = state.parent / "audit.jsonl"
    ok = runner.invoke(app, ["audit", "verify", str(log), "--state", str(state)])
    assert ok.exit_code == 0 and "chain intact" in ok.output
    lines = log.read_text().splitlines()
    lines[3] = lines[3].replace('"test"', '"x"').replace('"seq":4', '"seq":4,"forged":true')
    log.write_text("\n".join(lines) + "\n")
    broken = runner.invoke(app, ["audit", "verify", str(log), "--format", "json"])
    assert broken.exit_code == 1 and json.loads(broken.output)["line"] == 5
    log.write_text("\n".join(log.read_text().splitlines()[:2]) + "\n")
    cut = runner.invoke(app, ["audit", "verify", str(log), "--state", str(state)])
    assert cut.exit_code == 1 and "removed from the end" in " ".join(cut.output.split())


def test_audit_verify_against_a_head_recorded_elsewhere(fleet: Path, tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    runner.invoke(
        app,
        ["reconcile", str(fleet), "--sandbox", "--state", str(state), "--signers", str(SIGNERS)],
    )
    log = tmp_path / "audit.jsonl"

    def verify(head: str) -> tuple[int, dict[str, Any]]:
        result = runner.invoke(
            app, ["audit", "verify", str(log), "--expected-head", head, "--format", "json"]
        )
        return result.exit_code, json.loads(result.output)

    code, first = verify("0" * 64)
    assert code == 0 and first["records"] > 3
    AuditLog(log, actor="test").append("note")  # the log may go on past the recorded head
    assert verify(first["head"])[0] == 0
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:3]))
    code, cut = verify(first["head"])
    assert code == 1 and "removed from the end" in cut["problem"]
    both = runner.invoke(
        app, ["audit", "verify", str(log), "--state", str(state), "--expected-head", "0" * 64]
    )
    assert both.exit_code == 2


def test_a_tenant_file_with_a_secret_is_refused_naming_the_line(
    fleet: Path, tmp_path: Path
) -> None:
    tenant = tmp_path / "tenant.yaml"
    tenant.write_text("intune:\n  tenantId: t\n  clientId: c\n  clientSecret: hunter2\n")
    result = runner.invoke(app, ["reconcile", str(fleet), "--tenant", str(tenant)])
    assert result.exit_code == 5  # configuration (docs/cli.md)
    assert "tenant.yaml:4: intune.clientSecret" in result.output
    assert "hunter2" not in result.output


def test_piped_plan_table_keeps_each_intent_on_one_line(fleet: Path) -> None:
    # A real pipe, not CliRunner: Rich decides the width from the process's own stdout.
    environment = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    completed = subprocess.run(
        [
            str(Path(sys.executable).with_name("eucora")),
            "plan",
            str(fleet),
            "--signers",
            str(SIGNERS),
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    rows = [line for line in completed.stdout.splitlines() if line.startswith("│ falcon-sensor")]
    assert len(rows) == 1, completed.stdout
    assert "promotion lab allowed" in rows[0]
    assert "create×2 upload×2 assign×2" in rows[0]


def test_maturity_reads_ring_entries_from_the_state_or_a_verified_audit_log(
    fleet: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.db"
    runner.invoke(
        app,
        ["reconcile", str(fleet), "--sandbox", "--state", str(state), "--signers", str(SIGNERS)],
    )
    log = tmp_path / "audit.jsonl"
    entered = [
        r for r in map(json.loads, log.read_text().splitlines()) if r["event"] == "ring-entered"
    ]
    assert entered
    at = ["--at", entered[-1]["time"], "--signers", str(SIGNERS), "-f", "json"]
    from_state = runner.invoke(app, ["maturity", "--repo", str(fleet), "--state", str(state), *at])
    from_audit = runner.invoke(app, ["maturity", "--repo", str(fleet), "--audit", str(log), *at])
    for result in (from_state, from_audit):
        assert result.exit_code == 0, result.output
        body = json.loads(result.output)
        assert body["deployments"]["count"] == len(entered)
        assert {e["intent"] for e in body["deployments"]["entries"]} == {
            r["intent"] for r in entered
        }
    # a log whose chain does not verify is not evidence
    lines = log.read_text().splitlines()
    lines[1] = lines[1].replace('"seq":2', '"seq":2,"forged":true')
    log.write_text("\n".join(lines) + "\n")
    forged = runner.invoke(app, ["maturity", "--repo", str(fleet), "--audit", str(log), *at])
    assert forged.exit_code != 0 and "does not verify" in " ".join(forged.output.split())
