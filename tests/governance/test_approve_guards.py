"""``approve`` refuses what can never count and leaves nothing behind when signing fails;
``cab status`` says what is missing and what to run next."""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.cli._cab_next import next_commands, ring_needs
from reconciler.domain.approval_request import approval_refusals, did_you_mean, unknown_rings
from reconciler.domain.governance import GovernanceContext, evaluate_governance
from reconciler.domain.loader import load_repo
from reconciler.domain.trust import load_trust_root
from tests.conftest import EXAMPLE_REPO, ROOT
from tests.governance._gitrepo import POLICY, clone_with_identity

runner = CliRunner()
SIGNERS = ROOT / "examples" / "keys" / "allowed_signers"
TRUST = load_trust_root(ROOT / "examples" / "keys" / "trust-root.yaml")


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("example") / "fleet"
    assert runner.invoke(app, ["example", "init", str(target)]).exit_code == 0
    return target


def _clone(example: Path, tmp_path: Path, email: str, key: str | None = None) -> Path:
    return clone_with_identity(example, tmp_path, email, key)


def _approve(clone: Path, *args: str) -> tuple[int, str, list[str]]:
    head = git.Repo(clone).head.commit.hexsha
    result = runner.invoke(app, ["approve", "sap-gui-8.00", "--repo", str(clone), *args])
    repo = git.Repo(clone)
    assert repo.head.commit.hexsha == head, "a refused approve must not commit"
    return result.exit_code, result.stderr, repo.untracked_files


def test_a_non_member_is_refused_and_nothing_is_written(example: Path, tmp_path: Path) -> None:
    clone = _clone(example, tmp_path, "mallory.attacker@contoso.example", "mallory.attacker")
    code, err, untracked = _approve(clone, "--rings", "pilot")
    assert code == 1 and untracked == []
    assert "mallory.attacker@contoso.example is not a CAB member in fleet.yaml" in err


def test_with_signers_the_trust_root_decides_who_is_a_member(example: Path, tmp_path: Path) -> None:
    # fleet.yaml's list is only a stand-in: with --signers the trust root beside it decides
    clone = _clone(example, tmp_path, "mallory.attacker@contoso.example", "mallory.attacker")
    members = clone / "fleet.yaml"
    members.write_text(
        members.read_text().replace(
            "    members:\n",
            "    members:\n      - {principal: mallory.attacker@contoso.example, name: Mallory, roles: [security]}\n",
            1,
        )
    )
    repo = git.Repo(clone)
    repo.git.add("fleet.yaml")
    repo.git.commit("-m", "add myself to the CAB", "--no-gpg-sign")
    code, err, untracked = _approve(clone, "--rings", "pilot", "--signers", str(SIGNERS))
    assert code == 1 and untracked == []
    assert "mallory.attacker@contoso.example is not a CAB member in the trust root" in err


def test_a_role_not_held_is_refused(example: Path, tmp_path: Path) -> None:
    clone = _clone(example, tmp_path, "erin.okafor@contoso.example", "erin.okafor")
    code, err, untracked = _approve(clone, "--rings", "pilot", "--role", "security")
    assert code == 1 and untracked == []
    assert "does not hold the role 'security' (holds: cab-member)" in err


def test_an_unknown_ring_gets_a_did_you_mean(example: Path, tmp_path: Path) -> None:
    clone = _clone(example, tmp_path, "erin.okafor@contoso.example", "erin.okafor")
    code, err, _ = _approve(clone, "--rings", "pilto")
    assert code == 2 and "ring 'pilto' is not one of the fleet's rings" in err
    assert "(did you mean 'pilot'?)" in err


def test_refusals_are_json_under_format_json(example: Path, tmp_path: Path) -> None:
    clone = _clone(example, tmp_path, "mallory.attacker@contoso.example")
    result = runner.invoke(
        app, ["approve", "sap-gui-8.00", "--rings", "pilot", "--repo", str(clone), "-f", "json"]
    )
    error = json.loads(result.stdout)["error"]
    assert (error["exitCode"], error["reason"]) == (1, "ApprovalRefused")
    assert error["details"]["problems"][0].startswith("mallory.attacker@contoso.example is not")


def test_a_failed_signature_leaves_no_file_behind(example: Path, tmp_path: Path) -> None:
    clone = _clone(example, tmp_path, "erin.okafor@contoso.example", None)  # no signing key
    code, err, untracked = _approve(clone, "--rings", "pilot")
    assert code == 1 and "signing is not configured" in err
    assert untracked == [] and not any((clone / "approvals").glob("sap-gui-8.00-pilot-erin*"))


def test_the_requester_may_not_approve_their_own_intent() -> None:
    fleet = load_repo(EXAMPLE_REPO).repo.fleet
    assert fleet is not None
    problems = approval_refusals(
        members=TRUST.members, source="the trust root", approver="carol.nguyen@contoso.example",
        role=None, requester="Carol.Nguyen@contoso.example",
    )  # fmt: skip
    assert problems == ["carol.nguyen@contoso.example requested this intent and may not approve it"]
    assert unknown_rings(["pilot", "globl"], fleet) == [
        "ring 'globl' is not one of the fleet's rings (lab, canary, pilot, broad, global) "
        "(did you mean 'global'?)"
    ]
    assert did_you_mean("zzz", ["pilot"]) == ""


def test_cab_status_says_what_is_missing_and_what_to_run(example: Path) -> None:
    # the example is dated from today, so no --at is needed
    args = ["cab", "status", "globalprotect-6.3.2", "--repo", str(example), "--signers",
            str(SIGNERS)]  # fmt: skip
    body = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    pilot = next(m for m in body["missing"] if m["ring"] == "pilot")
    # one valid approval (dev.patel, security) of three; nobody has covered change-manager
    assert pilot["approvalsMissing"] == 2 and pilot["rolesMissing"] == ["change-manager"]
    assert pilot["couldApprove"][0] == "carol.nguyen@contoso.example"
    assert "dev.patel@contoso.example" not in pilot["couldApprove"]
    assert body["next"] == [
        f"eucora approve globalprotect-6.3.2 --rings pilot,broad,global --role change-manager "
        f"--repo {example}   # as one of: carol.nguyen@contoso.example"
    ]
    text = runner.invoke(app, args).stdout
    assert "pilot: 2 more approval(s) and role(s) change-manager not yet covered" in text
    assert "next: eucora approve globalprotect-6.3.2 --rings pilot,broad,global" in text


def test_without_signers_the_next_step_is_to_give_them() -> None:
    repo = load_repo(EXAMPLE_REPO).repo
    from datetime import UTC, datetime

    result = evaluate_governance(
        repo, "sap-gui-8.00", GovernanceContext(policy=POLICY), datetime.now(UTC)
    )
    needs = ring_needs(result, repo, TRUST.members)
    assert needs and all(n.approvals_missing == 2 for n in needs)
    commands = next_commands(result, needs, Path(), None)
    assert commands[0].startswith("eucora cab status sap-gui-8.00 --signers FILE")
    assert commands[1].startswith("eucora approve sap-gui-8.00 --rings pilot,broad,global")
