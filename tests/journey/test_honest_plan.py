"""The plan says what will really happen: verdicts, legend, drift, counts, cap, warnings."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.cli._markdown import MARKER, PlanContext, markdown_plan
from reconciler.cli._verdict import Kind, verdict
from reconciler.domain.documents.models import DriftPolicy
from reconciler.domain.evaluation.trust import load_trust_root
from reconciler.domain.gates.progress import GateOutcome, Progress, StoredRing
from reconciler.domain.planning.plan import DriftItem
from reconciler.domain.ports import PolicyDecision, Violation
from reconciler.domain.tenant import Platform
from reconciler.engine import PassResult, StateStore
from reconciler.gitops import build_example_repo
from tests.conftest import ROOT
from tests.journey.conftest import edit

runner = CliRunner()
KEYS = ROOT / "examples" / "keys"
SIGNERS = KEYS / "allowed_signers"
TRUST = load_trust_root(KEYS / "trust-root.yaml")
P1 = """apiVersion: eucora.io/v1alpha1
kind: Incident
metadata: {name: inc-p1}
spec:
  intent: slack-4.41.105
  severity: P1
  status: open
  title: Slack crashes on start
  openedAt: 2026-11-30T10:00:00Z
"""


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example repo with history, an open P1 for Slack, and a state with four intents
    in canary for ten days."""
    root = tmp_path_factory.mktemp("plan")
    repo = build_example_repo(ROOT / "examples" / "fleet-repo", root / "fleet", KEYS)
    (repo / "incidents" / "inc-p1.yaml").write_text(P1)
    # documents are read from the commit, never the work tree; a new incident tightens,
    # so an ordinary commit is enough for it to act
    subprocess.run(["git", "-C", str(repo), "add", "incidents/inc-p1.yaml"], check=True)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Ops", "-c", "user.email=ops@contoso.example",
         "commit", "--no-gpg-sign", "-qm", "Open P1 for Slack"],
        check=True,
    )  # fmt: skip
    store = StateStore(root / "state.db")
    entered = datetime.now(UTC) - timedelta(days=10)
    for name in ("falcon-sensor-7.18", "slack-4.41.105", "zoom-6.2.10", "sap-gui-8.00"):
        store.save_ring(
            name, StoredRing("canary", entered, None, ("lab", "canary")),
            state="Holding", reason="", now=entered,
        )  # fmt: skip
    store.close()
    return repo


def _plan(repo: Path, *args: str) -> tuple[int, str]:
    state = repo.parent / "state.db"
    result = runner.invoke(
        app, ["plan", str(repo), "--state", str(state), "--signers", str(SIGNERS), *args]
    )
    return result.exit_code, result.stdout


def test_each_intent_gets_the_verdict_of_what_will_happen(example: Path) -> None:
    code, out = _plan(example, "-f", "json")
    assert code == 0
    verdicts = {i["name"]: i["verdict"]["kind"] for i in json.loads(out)["intents"]}
    assert verdicts["teams-24295"] == "held"  # open P2 incident
    assert verdicts["slack-4.41.105"] == "halted"  # a new P1 in its ring
    assert verdicts["vlc-3.0.21"] == "suspended"
    # no install reports yet, and no uninstall path for the rollback-validated gate before pilot
    assert verdicts["zoom-6.2.10"] == "held"
    assert verdicts["falcon-sensor-7.18"] == "held"  # autoPromote: false
    assert verdicts["7zip-24.08"] == "progresses"


def test_the_markdown_comment_shows_them_with_a_marker_and_a_legend(example: Path) -> None:
    _, out = _plan(example, "-f", "markdown")
    assert out.startswith(MARKER + "\n")
    rows = {
        line.split("`")[1]: line
        for line in out.splitlines()
        if line.startswith("| ") and "`" in line
    }
    assert rows["teams-24295"].startswith("| ✋ |") and "open P2 incident" in rows["teams-24295"]
    assert rows["slack-4.41.105"].startswith("| 🛑 |") and "open P1" in rows["slack-4.41.105"]
    assert rows["vlc-3.0.21"].startswith("| ⏸️ |")
    assert rows["zoom-6.2.10"].startswith("| ✋ |") and "validated rollback" in rows["zoom-6.2.10"]
    assert "✅" not in rows["teams-24295"] + rows["slack-4.41.105"] + rows["vlc-3.0.21"]
    legend = out.strip().splitlines()[-1]
    for word in ("progresses", "waits", "held", "cab-pending", "halted", "suspended", "blocked"):
        assert word in legend


def test_write_counts_agree_with_json(example: Path) -> None:
    _, out = _plan(example, "-f", "json")
    planned = json.loads(out)["plannedWrites"]
    assert planned > 3
    _, markdown = _plan(example, "-f", "markdown")
    assert f"**{planned} tenant write(s)** planned" in markdown


def _result(example: Path) -> PassResult:
    """A real pass result, to give single intents states the example does not reach."""
    import asyncio

    from reconciler.cli.plan import _plan as run_plan

    result, _, _ = asyncio.run(
        run_plan(
            example,
            None,
            sandbox="",
            tenant=None,
            signers=SIGNERS,
            trust=TRUST,
            state=None,
            cluster=None,
        )
    )
    return result


def test_cab_pending_says_how_many_approvals_are_missing(example: Path) -> None:
    result = _result(example)
    report = replace(
        result.report("falcon-sensor-7.18"),
        state=Progress.HOLDING,
        ring="canary",
        approvals_valid=1,
        approvals_required=3,
        gates=(
            GateOutcome(
                "promotion", "pilot",
                PolicyDecision(False, (Violation("cab-approval", "needs 3 approvals"),)),
            ),
        ),
    )  # fmt: skip
    found = verdict(report, [])
    assert found.kind is Kind.CAB_PENDING
    assert found.detail.startswith("1 of 3 valid approval(s) for pilot: 2 more needed")


def test_drift_shows_expected_and_observed_for_warn_and_correct(example: Path) -> None:
    result = _result(example)
    drift = (
        DriftItem("7zip-24.08", Platform.WINDOWS, "assignments", ["lab", "all-users"], ["lab"],
                  DriftPolicy.WARN, False),
        DriftItem("7zip-24.08", Platform.MACOS, "installCommand", "x.sh", "install.sh",
                  DriftPolicy.CORRECT, True),
    )  # fmt: skip
    result.intents = [
        replace(r, drift=drift) if r.name == "7zip-24.08" else r for r in result.intents
    ]
    verdicts = {r.name: verdict(r, []) for r in result.intents}
    text = markdown_plan(result, blocking={}, verdicts=verdicts, context=PlanContext("t", False))
    assert (
        '⚠️ windows `assignments`: expected `["lab"]`, observed `["lab", "all-users"]` — '
        "not corrected (driftPolicy warn)"
    ) in text
    assert (
        "🔧 macos `installCommand`: expected `install.sh`, observed `x.sh` — will be corrected"
        in text
    )


def test_a_200_intent_plan_stays_under_the_cap_and_links_the_full_plan(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    subprocess.run(["cp", "-r", str(ROOT / "examples" / "fleet-repo"), str(fleet)], check=True)
    text = (fleet / "intents/7zip-24.08.yaml").read_text()
    for i in range(200):
        body = text.replace("name: 7zip-24.08", f"name: bulk-{i:03d}", 1)
        (fleet / f"intents/bulk-{i:03d}.yaml").write_text(
            body.replace("    supersedes: 7zip-23.01\n", "")
        )
    url = "https://github.example/o/r/actions/runs/7#artifacts"
    signers = ["--signers", str(SIGNERS)]  # the trust root beside it trusts the fleet config
    result = runner.invoke(
        app, ["plan", str(fleet), *signers, "-f", "markdown", "--full-plan-url", url]
    )
    assert result.exit_code == 0
    comment = result.stdout
    assert len(comment) <= 60_000 and comment.startswith(MARKER)
    assert f"[the full plan]({url})" in comment
    intents = len(list((fleet / "intents").glob("*.yaml")))  # the example's and the 200
    assert f"{intents} intent(s)" in comment
    # a tighter cap cuts rows and says how many
    small = runner.invoke(
        app, ["plan", str(fleet), *signers, "-f", "markdown", "--max-chars", "5000"]
    ).stdout
    assert len(small) <= 5000 and "more intent(s)" in small


def test_missing_signers_is_a_warning_in_every_format(example: Path) -> None:
    for fmt in ("json", "markdown", "text"):
        result = runner.invoke(app, ["plan", str(example), "-f", fmt])
        if fmt == "json":
            assert any("--signers" in w for w in json.loads(result.stdout)["warnings"])
        elif fmt == "markdown":
            assert "> ⚠️ no --signers file" in result.stdout
        else:
            assert "warning: no --signers file" in result.stderr


def test_a_shallow_clone_warns_and_base_fails_with_the_fetch_depth_hint(
    example: Path, tmp_path: Path
) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{example}", str(shallow)], check=True
    )
    result = runner.invoke(app, ["plan", str(shallow), "--signers", str(SIGNERS), "-f", "json"])
    assert any("shallow clone" in w for w in json.loads(result.stdout)["warnings"])
    markdown = runner.invoke(
        app, ["plan", str(shallow), "--signers", str(SIGNERS), "-f", "markdown"]
    )
    assert "> ⚠️ shallow clone" in markdown.stdout
    based = runner.invoke(app, ["plan", str(shallow), "--base", "HEAD~3", "-f", "json"])
    assert based.exit_code == 5
    error = json.loads(based.stdout)["error"]
    assert "fetch-depth: 0" in error["message"] and error["kind"] == "auth-config"


def test_a_package_problem_blocks_the_plan(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    subprocess.run(["cp", "-r", str(ROOT / "examples" / "fleet-repo"), str(fleet)], check=True)
    edit(fleet / "intents/7zip-24.08.yaml", "sizeBytes: 2377", "sizeBytes: 1")
    result = runner.invoke(app, ["plan", str(fleet), "-f", "json"])
    assert result.exit_code == 1
    report = next(i for i in json.loads(result.stdout)["intents"] if i["name"] == "7zip-24.08")
    assert report["verdict"]["kind"] == "blocked"
    assert report["blocking"][0].startswith("package-size-mismatch:")
