"""``eucora import`` against a sandbox pre-filled with 200 hand-made apps and packages:
a draft per object naming it in ``spec.adopt``, rings read from assignments, TODOs where
the tenant cannot tell, ``validate`` clean but for those TODOs, the same output twice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from reconciler.cli import app
from tests.adopt.conftest import EXAMPLE_FLEET, Served

runner = CliRunner()


def run_import(served: Served, out: Path, *extra: str) -> dict[str, object]:
    result = runner.invoke(
        app,
        ["import", "--sandbox", served.url, "--out", str(out), "--repo", str(EXAMPLE_FLEET.parent),
         "--format", "json", *extra],
        env=served.env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.stdout)
    return document


def test_import_writes_a_draft_per_hand_made_object_and_is_idempotent(
    hand_made: Served, tmp_path: Path
) -> None:
    out = tmp_path / "imported"
    first = run_import(hand_made, out)
    drafts = first["drafts"]
    assert isinstance(drafts, list) and len(drafts) == 200
    assert first["read"] == 200
    assert first["notRead"] == ["intune-macos"]  # said, not skipped silently
    files = sorted(p.relative_to(out) for p in out.rglob("*.yaml"))
    assert len(files) == 200
    seeded_apps = set(hand_made.seeded["intune"])
    adopted = {}
    for path in out.glob("intents/*.yaml"):
        spec = yaml.safe_load(path.read_text())["spec"]
        adopted[path.stem] = spec["adopt"]
    intune_ids = {a["intune"] for a in adopted.values() if "intune" in a}
    assert intune_ids == seeded_apps
    jamf = [a["jamf"] for a in adopted.values() if "jamf" in a]
    assert {j["package"] for j in jamf} == {p["package"] for p in hand_made.seeded["jamf"]}
    assert all(j["policy"] for j in jamf)

    # an app assigned by hand to the lab ring's group is drafted for the lab ring
    tool0 = yaml.safe_load((out / "intents/contoso-windows-tool-0000-1.0.0.yaml").read_text())
    assert tool0["spec"]["rollout"] == {"until": "lab"}
    assert tool0["spec"]["packages"]["windows"]["detection"]["type"] == "msiProductCode"
    assert tool0["spec"]["packages"]["windows"]["sha256"].startswith("TODO")

    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    second = run_import(hand_made, out)
    assert second["changed"] == []
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_filter_limits_the_drafts(hand_made: Served, tmp_path: Path) -> None:
    document = run_import(hand_made, tmp_path / "some", "--filter", "contoso*")
    drafts = document["drafts"]
    assert isinstance(drafts, list) and drafts
    assert all(str(d["intent"]).startswith("contoso-") for d in drafts)


def test_validate_flags_only_the_todo_fields(hand_made: Served, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(EXAMPLE_FLEET, repo / "fleet.yaml")
    shutil.copytree(EXAMPLE_FLEET.parent / "risk-models", repo / "risk-models")
    run_import(hand_made, repo)
    (repo / "import-report.json").unlink()
    result = runner.invoke(app, ["validate", str(repo), "--format", "json"])
    document = json.loads(result.stdout)
    findings = document["findings"]
    assert document["documents"] == 202 and findings, result.stdout
    assert [f for f in findings if f["code"] != "todo-value"] == []
    todo_fields = {f["path"] for f in findings}
    # what Graph and Jamf Pro do not hold about a hand-made object, and nothing else
    assert todo_fields == {
        "/spec/rollout/until", "/spec/app/publisher", "/spec/app/version",
        "/spec/packages/macos/sha256", "/spec/packages/macos/sizeBytes",
        "/spec/packages/macos/bundleId", "/spec/packages/windows/sha256",
    }  # fmt: skip
