"""`eucora risk`, `cab status`, `approve`, `maturity` and `example init` end to end."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Any

import git
import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from tests.conftest import EXAMPLE_REPO, ROOT
from tests.governance._gitrepo import clone_with_identity

runner = CliRunner()
SIGNERS = ROOT / "examples" / "keys" / "allowed_signers"
AT = ["--at", "2026-11-23T12:00:00Z"]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("example") / "fleet"
    result = runner.invoke(app, ["example", "init", str(target), "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    return target


def test_risk_json_and_table() -> None:
    result = runner.invoke(
        app, ["risk", "oracle-jre-8u431", "--repo", str(EXAMPLE_REPO), *AT, "-f", "json"]
    )
    body = json.loads(result.output)
    assert body["score"] == 78.0 and body["decision"] == "exception_required"
    assert body["cabRings"] == ["pilot"] and body["quorum"] == 2
    assert sum(f["contribution"] for f in body["factors"]) == pytest.approx(78.0)
    text = runner.invoke(app, ["risk", "7zip-24.08", "--repo", str(EXAMPLE_REPO), *AT])
    assert text.exit_code == 0 and "auto_approved" in text.output and "history" in text.output
    missing = runner.invoke(app, ["risk", "nope", "--repo", str(EXAMPLE_REPO)])
    assert missing.exit_code == 1


def test_example_history_shows_valid_refused_and_pending(example: Path) -> None:
    def status(intent: str) -> dict[str, object]:
        args = [
            "cab",
            "status",
            intent,
            "--repo",
            str(example),
            "--signers",
            str(SIGNERS),
            *AT,
            "-f",
            "json",
        ]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        body: dict[str, object] = json.loads(result.output)
        return body

    gp = status("globalprotect-6.3.2")
    reasons = {a["approver"]: a["reason"] for a in gp["approvals"]}  # type: ignore[union-attr,index]
    assert reasons == {
        "dev.patel@contoso.example": "valid",
        "frank.muller@contoso.example": "unknown-signer",
    }
    assert gp["approvedRings"] == [] and gp["required"] == {  # pending: 1 of 3
        "quorum": 3,
        "roles": ["security", "change-manager"],
        "rings": ["pilot", "broad", "global"],
    }
    zoom = status("zoom-6.2.10")
    assert [a["reason"] for a in zoom["approvals"]] == ["digest-mismatch"]  # type: ignore[union-attr,index]
    sap = status("sap-gui-8.00")
    assert sap["approvedRings"] == ["pilot", "broad", "global"]
    falcon = status("falcon-sensor-7.18")
    assert falcon["approvedRings"] == ["pilot", "broad", "global"]
    jre = status("oracle-jre-8u431")
    assert [e["reason"] for e in jre["exceptions"]] == ["valid"]  # type: ignore[union-attr,index]
    assert set(status("sap-gui-8.00")) == {
        "intent",
        "digest",
        "decision",
        "required",
        "approvals",
        "exceptions",
        "approvedRings",
        "missing",
        "next",
        "pendingGovernance",
    }


def test_example_init_refuses_a_non_empty_target(example: Path) -> None:
    assert runner.invoke(app, ["example", "init", str(example)]).exit_code == 2


def _clone_with_identity(example: Path, tmp_path: Path, who: str, key: str | None) -> Path:
    return clone_with_identity(example, tmp_path, f"{who}@contoso.example", key)


def test_approve_makes_a_signed_commit_that_counts(example: Path, tmp_path: Path) -> None:
    clone = _clone_with_identity(example, tmp_path, "carol.nguyen", "carol.nguyen")
    result = runner.invoke(
        app,
        [
            "approve",
            "globalprotect-6.3.2",
            "--rings",
            "pilot,broad,global",
            "--expires",
            "30d",
            "--role",
            "change-manager",
            "--condition",
            "VPN team on call",
            "--repo",
            str(clone),
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    written = json.loads(result.output)
    assert written["approver"] == "carol.nguyen@contoso.example"
    head = git.Repo(clone).head.commit
    assert head.hexsha == written["commit"] and head.gpgsig
    status = runner.invoke(
        app,
        [
            "cab",
            "status",
            "globalprotect-6.3.2",
            "--repo",
            str(clone),
            "--signers",
            str(SIGNERS),
            "-f",
            "json",
        ],
    )
    verdicts = {a["approver"]: a["reason"] for a in json.loads(status.output)["approvals"]}
    assert verdicts["carol.nguyen@contoso.example"] == "valid"


def test_approve_without_signing_configured_is_a_clear_error(example: Path, tmp_path: Path) -> None:
    clone = _clone_with_identity(example, tmp_path, "erin.okafor", None)
    result = runner.invoke(
        app, ["approve", "sap-gui-8.00", "--rings", "pilot", "--repo", str(clone)]
    )
    assert result.exit_code == 1
    assert "signing is not configured" in result.output
    unknown = runner.invoke(
        app, ["approve", "sap-gui-8.00", "--rings", "moon", "--repo", str(clone)]
    )
    assert unknown.exit_code == 2


def test_maturity_reports_blocking_criteria() -> None:
    result = runner.invoke(app, ["maturity", "--repo", str(EXAMPLE_REPO), *AT, "-f", "json"])
    body = json.loads(result.output)
    assert (body["level"], body["nextLevel"]) == (2, 3)
    criteria = {c["name"]: c for c in body["criteria"]}
    assert criteria["weeks at level"]["met"] is False  # 10.1 weeks < 12
    assert criteria["P2 incidents"]["met"] is False  # inc-2026-077 is a P2
    assert body["ready"] is False
    text = runner.invoke(app, ["maturity", "--repo", str(EXAMPLE_REPO), *AT])
    assert "not ready" in text.output


def _set_identity(clone: Path, tmp_path: Path, who: str) -> None:
    private = tmp_path / who
    shutil.copyfile(ROOT / "examples" / "keys" / who, private)
    private.chmod(stat.S_IRUSR | stat.S_IWUSR)
    with git.Repo(clone).config_writer() as config:
        config.set_value("user", "email", f"{who}@contoso.example")
        config.set_value("user", "name", who)
        config.set_value("gpg", "format", "ssh")
        config.set_value("user", "signingkey", str(private))


def test_governance_approve_by_the_quorum_makes_a_loosening_trusted(
    example: Path, tmp_path: Path
) -> None:
    clone = _clone_with_identity(example, tmp_path, "maria.garcia", None)
    fleet = (clone / "fleet.yaml").read_text().replace("prune: false", "prune: true")
    (clone / "fleet.yaml").write_text(fleet)
    repo = git.Repo(clone)
    repo.git.commit("-qam", "Turn prune on", "--no-gpg-sign")

    def status() -> tuple[int, dict[str, Any]]:
        result = runner.invoke(
            app,
            ["governance", "status", "--repo", str(clone), "--signers", str(SIGNERS), "-f", "json"],
        )
        return result.exit_code, json.loads(result.output)

    code, before = status()
    assert code == 1 and [p["kind"] for p in before["pending"]] == ["FleetConfig"]
    for who in ("carol.nguyen", "dev.patel"):
        _set_identity(clone, tmp_path, who)
        result = runner.invoke(
            app, ["governance", "approve", "FleetConfig", "contoso", "--repo", str(clone)]
        )
        assert result.exit_code == 0, result.output
        if who == "carol.nguyen":
            assert status()[0] == 1  # one of two
    code, after = status()
    assert code == 0 and after["pending"] == []
    assert after["trusted"]["FleetConfig"] == before["pending"][0]["digest"]
