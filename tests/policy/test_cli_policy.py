"""`eucora policy test`, `eucora policy docs` and `eucora gate` as CI and people use them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.policy import builtin_dir, load_policy_set, render_policy_readme

runner = CliRunner()
BASE = builtin_dir() / "promotion" / "tests" / "base.json"


def test_policy_test_passes_and_reports_json() -> None:
    result = runner.invoke(app, ["policy", "test", "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["failed"] == 0 and body["passed"] >= 40
    assert body["unexercisedRules"] == []


def test_policy_test_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    tests = tmp_path / "promotion" / "tests"
    tests.mkdir(parents=True)
    (tests / "wrong.yaml").write_text(
        f"base: {BASE}\ncases:\n  - name: claims a healthy intent is held\n"
        "    expect: {allow: false}\n"
    )
    (tmp_path / "extra.rego").write_text(
        "package eucora.custom.promotion\nimport rego.v1\n"
        "# METADATA\n# title: Never on the moon\n# custom:\n#   id: moon\n"
        'deny contains {"id": "moon", "msg": "moon"} if input.intent.name == "moon"\n'
    )
    result = runner.invoke(app, ["policy", "test", "--policies", str(tmp_path)])
    assert result.exit_code == 1
    assert "FAIL" in result.output and "1 failed" in result.output
    assert "rules no case exercises: moon" in result.output


def test_gate_exit_codes_and_exact_json(tmp_path: Path) -> None:
    allowed = runner.invoke(app, ["gate", "--input", str(BASE), "--format", "json"])
    assert allowed.exit_code == 0
    assert json.loads(allowed.output) == {"allow": True, "deny": [], "warn": []}
    document = json.loads(BASE.read_text())
    document["intent"]["suspend"] = True
    held = tmp_path / "held.json"
    held.write_text(json.dumps(document))
    denied = runner.invoke(app, ["gate", "-i", str(held), "-f", "json"])
    assert denied.exit_code == 3
    assert json.loads(denied.output) == {
        "allow": False,
        "deny": [{"id": "suspended", "msg": "7zip-24.08: rollout is suspended"}],
        "warn": [],
    }
    text = runner.invoke(app, ["gate", "-i", str(held)])
    assert text.exit_code == 3 and "suspended" in text.output


def test_gate_bad_input_exits_1_naming_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("now: soon\nintent: {}\nrings: [lab]\n")
    result = runner.invoke(app, ["gate", "-i", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:1:6: /now" in result.output
    missing = runner.invoke(app, ["gate", "-i", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1


def test_gate_with_unreachable_opa_denies() -> None:
    result = runner.invoke(
        app,
        [
            "gate",
            "-i",
            str(BASE),
            "--engine",
            "opa",
            "--opa-url",
            "http://127.0.0.1:9",
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 3
    assert json.loads(result.output)["deny"][0]["id"] == "policy-error"


def test_policies_readme_is_generated_from_metadata() -> None:
    current = (builtin_dir() / "README.md").read_text(encoding="utf-8")
    assert current == render_policy_readme(load_policy_set()), (
        "policies/README.md is stale: run `eucora policy docs --write`"
    )
    assert runner.invoke(app, ["policy", "docs", "--check"]).exit_code == 0
