"""Attacks on the trust model, by ordinary commits to a real example fleet repo (with and
without a CAB member's key), seen through ``eucora cab status``, ``plan`` and ``governance
status``. Each attack was accepted before approvals were content-bound attestations and
governance documents were governed; each must now be refused with a clear reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reconciler.cli import app
from tests.governance._attack import (
    CAROL,
    DEV,
    ERIN,
    FRANK,
    GRACE,
    KEYS,
    MALLORY,
    MARIA,
    approval_text,
    built_example,
    cab_status,
    commit,
    copy_repo,
    edit,
    git,
    governance_status,
    plan,
    runner,
    signed,
    verdicts,
)

SAP_CAROL = "approvals/sap-gui-8.00-pilot-broad-global-carol.nguyen.yaml"
RDM_GRACE = "approvals/rdm-admin-2024.3-pilot-grace.kim.yaml"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_example(tmp_path_factory.mktemp("cache"))


@pytest.fixture
def repo(example: Path, tmp_path: Path) -> Path:
    return copy_repo(example, tmp_path / "fleet")


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    return tmp_path / "keys"


# --- governance documents are governed -----------------------------------------------

FLEET_LOOSENINGS = {
    "maturity level raised": ("level: 2 ", "level: 4 "),
    "cab.firstRing moved": ("firstRing: pilot", "firstRing: global"),
    "quorum lowered": ("CRITICAL_INFRASTRUCTURE: 3", "CRITICAL_INFRASTRUCTURE: 1"),
    "required roles removed": ("      CRITICAL_INFRASTRUCTURE: [security, change-manager]\n", ""),
    "freeze window shortened": ("end: 2027-01-04T06:00:00Z", "end: 2026-12-20T06:00:00Z"),
    "ring gate loosened": (
        "minSuccessRate: 0.99, minDevices: 150",
        "minSuccessRate: 0.5, minDevices: 150",
    ),
    "global group added to lab": (
        'intune: ["3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01"]',
        'intune: ["3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01", "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b05"]',
    ),
    "prune turned on": ("prune: false", "prune: true"),
}


@pytest.mark.parametrize("change", sorted(FLEET_LOOSENINGS))
def test_a_loosening_fleet_change_waits_for_governance_approval(repo: Path, change: str) -> None:
    old, new = FLEET_LOOSENINGS[change]
    commit(repo, {"fleet.yaml": edit(repo / "fleet.yaml", old, new)}, author=MARIA)
    code, status = governance_status(repo)
    assert code == 1
    (pending,) = status["pending"]
    assert pending["kind"] == "FleetConfig" and pending["loosens"], pending
    assert "GovernanceApproval" in pending["needs"]
    code, planned = plan(repo)
    assert code == 1
    assert [p["kind"] for p in planned["pendingGovernance"]] == ["FleetConfig"]
    # the trusted FleetConfig stays in force: falcon still needs 3 approvers with both roles
    falcon = cab_status(repo, "falcon-sensor-7.18")
    assert falcon["required"] == {
        "quorum": 3, "roles": ["security", "change-manager"], "rings": ["pilot", "broad", "global"],
    }  # fmt: skip


def test_a_tightening_fleet_change_acts_at_once(repo: Path) -> None:
    text = edit(repo / "fleet.yaml", "CRITICAL_INFRASTRUCTURE: 3", "CRITICAL_INFRASTRUCTURE: 4")
    text = edit_text(text, "end: 2027-01-04T06:00:00Z", "end: 2027-01-11T06:00:00Z")
    commit(repo, {"fleet.yaml": text}, author=MARIA)
    code, status = governance_status(repo)
    assert code == 0 and status["pending"] == []
    assert cab_status(repo, "falcon-sensor-7.18")["required"]["quorum"] == 4


def edit_text(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_raised_auto_approve_thresholds_and_a_new_risk_model_wait(repo: Path) -> None:
    model = (repo / "risk-models" / "v1.1.yaml").read_text()
    looser = model.replace("PRODUCTIVITY_TOOLS: 30", "PRODUCTIVITY_TOOLS: 100").replace(
        "BUSINESS_CRITICAL: 10", "BUSINESS_CRITICAL: 100"
    )
    commit(repo, {"risk-models/v1.1.yaml": looser}, author=MARIA)
    code, status = governance_status(repo)
    assert code == 1 and [p["kind"] for p in status["pending"]] == ["RiskModel"]
    assert cab_status(repo, "sap-gui-8.00")["decision"] == "cab_required"
    # activating a brand-new model is a FleetConfig change that needs approval too
    v2 = looser.replace("name: v1.1", "name: v2.0")
    fleet = edit(repo / "fleet.yaml", "riskModel: v1.1", "riskModel: v2.0")
    commit(repo, {"risk-models/v2.0.yaml": v2, "fleet.yaml": fleet}, author=MARIA)
    code, status = governance_status(repo)
    assert code == 1 and "FleetConfig" in [p["kind"] for p in status["pending"]]
    assert cab_status(repo, "sap-gui-8.00")["decision"] == "cab_required"


def test_roles_written_in_fleet_yaml_grant_nothing(repo: Path, keys: Path) -> None:
    fleet = edit(
        repo / "fleet.yaml",
        "    members:\n",
        "    members:\n      - {principal: mallory.attacker@contoso.example, roles: [security]}\n",
    )
    rdm = cab_status(repo, "rdm-admin-2024.3")["digest"]
    text = approval_text("rdm-admin-2024.3", rdm, MALLORY, "pilot", name="rdm-mallory")
    signers = keys.parent / "signers"
    signers.mkdir()
    mallory_pub = (KEYS / "mallory.attacker.pub").read_text().split()[:2]
    (signers / "allowed_signers").write_text(
        (KEYS / "allowed_signers").read_text()
        + f'{MALLORY} namespaces="git,eucora" {" ".join(mallory_pub)}\n'
    )
    (signers / "trust-root.yaml").write_text((KEYS / "trust-root.yaml").read_text())
    commit(
        repo, {"fleet.yaml": fleet, "approvals/rdm-mallory.yaml": signed(text, MALLORY, keys)},
        author=MALLORY,
    )  # fmt: skip
    status = cab_status(repo, "rdm-admin-2024.3", signers=signers / "allowed_signers")
    assert verdicts(status)["rdm-mallory"] == "not-cab-member"


# --- approval content is what was signed ---------------------------------------------

CONTENT_EDITS = {
    "rings widened": ("rings: [pilot]", "rings: [pilot, broad, global]"),
    "expiry extended": ("expires: 2026-12-21T00:00:00Z", "expires: 2027-12-21T00:00:00Z"),
    "re-pointed at another intent": ("intent: rdm-admin-2024.3", "intent: globalprotect-6.3.2"),
}


@pytest.mark.parametrize("change", sorted(CONTENT_EDITS))
def test_an_approval_edited_after_signing_is_refused(repo: Path, change: str) -> None:
    old, new = CONTENT_EDITS[change]
    commit(repo, {RDM_GRACE: edit(repo / RDM_GRACE, old, new)}, author=MALLORY)
    intent = "globalprotect-6.3.2" if "re-pointed" in change else "rdm-admin-2024.3"
    status = cab_status(repo, intent)
    assert verdicts(status)["rdm-admin-2024.3-pilot-grace.kim"] == "bad-signature"
    assert status["approvedRings"] == []


def test_a_stale_approval_rebound_to_the_new_digest_is_refused(repo: Path) -> None:
    stale = "approvals/zoom-6.2.10-pilot-broad-global-grace.kim.yaml"
    digest = cab_status(repo, "zoom-6.2.10")["digest"]
    text = re.sub(r'intentDigest: "[^"]+"', f'intentDigest: "{digest}"', (repo / stale).read_text())
    commit(repo, {stale: text}, author=MALLORY)
    assert verdicts(cab_status(repo, "zoom-6.2.10"))[stale[10:-5]] == "bad-signature"


def test_a_second_document_appended_to_a_signed_file_is_refused(repo: Path) -> None:
    original = (repo / RDM_GRACE).read_text()
    copy = original.replace("name: rdm-admin-2024.3-pilot-grace.kim", "name: rdm-extra").replace(
        "rings: [pilot]", "rings: [broad]"
    )
    commit(repo, {RDM_GRACE: original + "---\n" + copy}, author=MALLORY)
    status = cab_status(repo, "rdm-admin-2024.3")
    reasons = {a["rings"][0]: a["reason"] for a in status["approvals"]}
    assert reasons == {"pilot": "valid", "broad": "bad-signature"}


def test_an_uncommitted_work_tree_edit_is_not_read(repo: Path) -> None:
    (repo / RDM_GRACE).write_text(
        edit(repo / RDM_GRACE, "rings: [pilot]", "rings: [pilot, broad, global]")
    )
    status = cab_status(repo, "rdm-admin-2024.3")
    assert status["approvals"][0]["rings"] == ["pilot"]  # HEAD's content, still valid
    assert status["approvedRings"] == ["pilot"]


def test_a_symlinked_approval_is_refused(repo: Path) -> None:
    drafts = repo / "drafts"
    drafts.mkdir()
    (drafts / "a.txt").write_text((repo / RDM_GRACE).read_text())
    (repo / RDM_GRACE).unlink()
    (repo / RDM_GRACE).symlink_to("../drafts/a.txt")
    commit(repo, {}, author=MALLORY)
    code, status = governance_status(repo)
    assert code == 1 and status["valid"] is False
    code, planned = plan(repo)
    assert code == 1 and "symbolic links are refused" in planned["error"]


def test_a_rewrite_inside_an_unsigned_merge_is_refused(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, {"notes.txt": "side work\n"}, author=MALLORY)
    git(repo, "checkout", "-q", "main")
    env = {"GIT_AUTHOR_NAME": "m", "GIT_AUTHOR_EMAIL": MALLORY,
           "GIT_COMMITTER_NAME": "m", "GIT_COMMITTER_EMAIL": MALLORY}  # fmt: skip
    git(repo, "merge", "-q", "--no-ff", "--no-commit", "side", env=env)
    (repo / RDM_GRACE).write_text(edit(repo / RDM_GRACE, "rings: [pilot]", "rings: [pilot, broad]"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "Merge side", env=env)
    status = cab_status(repo, "rdm-admin-2024.3")
    assert verdicts(status)["rdm-admin-2024.3-pilot-grace.kim"] == "bad-signature"


def test_approvals_survive_a_shallow_clone_and_a_squash(repo: Path, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    sap = cab_status(shallow, "sap-gui-8.00")
    assert sap["approvedRings"] == ["pilot", "broad", "global"]
    forged = cab_status(shallow, "globalprotect-6.3.2")
    assert "unknown-signer" in verdicts(forged).values()
    git(repo, "checkout", "-q", "--orphan", "squashed")
    commit(repo, {}, author="dana.lee@contoso.example", message="squash everything")
    assert cab_status(repo, "sap-gui-8.00")["approvedRings"] == ["pilot", "broad", "global"]


# --- separation of duties on verified identities -------------------------------------

SAP = "intents/sap-gui-8.00.yaml"


def _approve_sap(repo: Path, keys: Path, who: str, name: str) -> dict[str, str]:
    digest = cab_status(repo, "sap-gui-8.00")["digest"]
    text = approval_text("sap-gui-8.00", digest, who, "pilot, broad, global", name=name)
    commit(repo, {f"approvals/{name}.yaml": signed(text, who, keys)}, author=who,
           sign_key=str(Path(keys) / who.split("@", maxsplit=1)[0]))  # fmt: skip
    return verdicts(cab_status(repo, "sap-gui-8.00"))


def test_a_fake_author_does_not_hide_the_committer(repo: Path, keys: Path) -> None:
    commit(repo, {SAP: edit(repo / SAP, "targetUsers: 950", "targetUsers: 990")},
           author=MARIA, committer=ERIN)  # fmt: skip
    assert _approve_sap(repo, keys, ERIN, "sap-erin-2")["sap-erin-2"] == "self-approval"


def test_changing_and_approving_in_one_signed_commit_with_a_fake_author(
    repo: Path, keys: Path
) -> None:
    new = edit(repo / SAP, "targetUsers: 950", "targetUsers: 990")
    (repo / SAP).write_text(new)
    from reconciler.domain.loader import load_repo

    digest = load_repo(repo).repo.intents["sap-gui-8.00"].digest
    text = approval_text("sap-gui-8.00", digest, ERIN, "pilot, broad, global", name="sap-erin-2")
    key = signed("x: 1\n", ERIN, keys) and str(keys / "erin.okafor")
    commit(repo, {SAP: new, "approvals/sap-erin-2.yaml": signed(text, ERIN, keys)},
           author=MARIA, committer=MARIA, sign_key=key)  # fmt: skip
    assert verdicts(cab_status(repo, "sap-gui-8.00"))["sap-erin-2"] == "self-approval"


def test_a_trivial_follow_up_by_someone_else_does_not_launder_a_change(
    repo: Path, keys: Path
) -> None:
    commit(repo, {SAP: edit(repo / SAP, "targetUsers: 950", "targetUsers: 990")}, author=ERIN)
    commit(repo, {SAP: edit(repo / SAP, "targetUsers: 990", "targetUsers: 991")}, author=MARIA)
    assert _approve_sap(repo, keys, ERIN, "sap-erin-2")["sap-erin-2"] == "self-approval"
    # someone who never touched it may approve
    assert _approve_sap(repo, keys, GRACE, "sap-grace")["sap-grace"] == "valid"


def test_a_symlinked_intent_is_refused(repo: Path) -> None:
    (repo / "staging").mkdir()
    (repo / "staging" / "sap.txt").write_text((repo / SAP).read_text())
    (repo / SAP).unlink()
    (repo / SAP).symlink_to("../staging/sap.txt")
    commit(repo, {}, author=MARIA)
    code, planned = plan(repo)
    assert code == 1 and "InvalidRepository" in planned["error"]
    result = runner.invoke(app, ["validate", str(repo), "--format", "json"])
    codes = {(f["file"], f["code"]) for f in json.loads(result.output)["findings"]}
    assert (SAP, "symlink-refused") in codes


# --- time the attacker cannot choose ---------------------------------------------------


def test_an_exception_window_is_measured_from_the_signed_approval(repo: Path, keys: Path) -> None:
    path = repo / "exceptions" / "oracle-jre-8u431-risk.yaml"
    longer = edit(path, "expires: 2027-02-15T00:00:00Z", "expires: 2027-09-01T00:00:00Z")
    commit(repo, {path.relative_to(repo).as_posix(): longer}, author=MARIA,
           date="2027-06-01T00:00:00+00:00")  # fmt: skip
    from reconciler.domain.loader import load_repo

    loaded = load_repo(repo).repo
    digest = loaded.intents["oracle-jre-8u431"].digest
    bound = loaded.exceptions["oracle-jre-8u431-risk"].digest
    for who in (CAROL, FRANK):
        short = who.split("@")[0]
        text = approval_text(
            "oracle-jre-8u431", digest, who, "pilot", name=f"jre-risk-{short}-2",
            extra=f'  exception: oracle-jre-8u431-risk\n  exceptionDigest: "{bound}"\n',
        )  # fmt: skip
        commit(repo, {f"approvals/jre-risk-{short}-2.yaml": signed(text, who, keys)},
               author=who, date="2027-06-01T00:00:00+00:00")  # fmt: skip
    (exception,) = cab_status(repo, "oracle-jre-8u431")["exceptions"]
    assert exception["reason"] == "expiry-too-long"


def test_a_revoked_key_does_not_verify_on_a_backdated_commit(repo: Path, keys: Path) -> None:
    signers = keys.parent / "revoked"
    signers.mkdir()
    text = (KEYS / "allowed_signers").read_text()
    text = text.replace(
        'grace.kim@contoso.example namespaces="git,eucora"',
        'grace.kim@contoso.example namespaces="git,eucora",valid-before="20261120"',
    )
    (signers / "allowed_signers").write_text(text)
    (signers / "trust-root.yaml").write_text((KEYS / "trust-root.yaml").read_text())
    digest = cab_status(repo, "globalprotect-6.3.2")["digest"]
    approval = approval_text(
        "globalprotect-6.3.2", digest, GRACE, "pilot", name="gp-grace",
        approved_at="2026-11-01T00:00:00Z",
    )  # fmt: skip
    commit(repo, {"approvals/gp-grace.yaml": signed(approval, GRACE, keys)}, author=GRACE,
           date="2026-11-01T00:00:00+00:00", sign_key=str(keys / "grace.kim"))  # fmt: skip
    status = cab_status(repo, "globalprotect-6.3.2", signers=signers / "allowed_signers")
    assert verdicts(status)["gp-grace"] == "unknown-signer"


# --- intents cannot exempt themselves; the digest covers what runs ----------------------


def test_lowering_risk_overrides_do_not_lower_the_cab_decision(repo: Path) -> None:
    path = repo / "intents" / "sap-gui-8.00.yaml"
    text = path.read_text().rstrip("\n") + (
        "\n  riskOverrides:\n"
        "    - factor: supply_chain_trust\n      value: 0\n"
        "      justification: vendor audited by procurement in 2026, contract on file\n"
        "    - factor: blast_radius\n      value: 0\n"
        "      justification: only a small pilot population at first, monitored daily\n"
    )
    commit(repo, {"intents/sap-gui-8.00.yaml": text}, author=MARIA)
    status = cab_status(repo, "sap-gui-8.00")
    assert status["decision"] == "cab_required"


def test_a_detection_script_changed_after_approval_voids_it(repo: Path, keys: Path) -> None:
    digest = cab_status(repo, "teams-24295")["digest"]
    text = approval_text("teams-24295", digest, GRACE, "pilot, broad, global", name="teams-grace")
    commit(repo, {"approvals/teams-grace.yaml": signed(text, GRACE, keys)}, author=GRACE)
    assert verdicts(cab_status(repo, "teams-24295"))["teams-grace"] == "valid"
    script = repo / "detection" / "teams-new.ps1"
    commit(repo, {"detection/teams-new.ps1": script.read_text() + "\nexit 0\n"}, author=MARIA)
    assert verdicts(cab_status(repo, "teams-24295"))["teams-grace"] == "digest-mismatch"


# --- exceptions, withdrawals, pattern principals ----------------------------------------


def test_an_exception_widened_after_approval_is_refused(repo: Path) -> None:
    path = repo / "exceptions" / "oracle-jre-8u431-risk.yaml"
    commit(repo, {path.relative_to(repo).as_posix(): edit(
        path, "rings: [lab, canary, pilot]", "rings: [lab, canary, pilot, broad, global]")},
        author=MARIA)  # fmt: skip
    (exception,) = cab_status(repo, "oracle-jre-8u431")["exceptions"]
    assert exception["reason"] == "exception-changed"


def test_an_exception_needs_the_class_roles(repo: Path, keys: Path) -> None:
    for name in ("oracle-jre-8u431-risk-carol.nguyen", "oracle-jre-8u431-risk-frank.muller"):
        commit(repo, {f"approvals/{name}.yaml": None}, author=MARIA)
    from reconciler.domain.loader import load_repo

    loaded = load_repo(repo).repo
    digest = loaded.intents["oracle-jre-8u431"].digest
    bound = loaded.exceptions["oracle-jre-8u431-risk"].digest
    for who in (ERIN, GRACE):  # no change-manager among them
        short = who.split("@")[0]
        text = approval_text(
            "oracle-jre-8u431", digest, who, "pilot", name=f"jre-risk-{short}",
            extra=f'  exception: oracle-jre-8u431-risk\n  exceptionDigest: "{bound}"\n',
        )  # fmt: skip
        commit(repo, {f"approvals/jre-risk-{short}.yaml": signed(text, who, keys)}, author=who)
    (exception,) = cab_status(repo, "oracle-jre-8u431")["exceptions"]
    assert exception["reason"] == "role-not-held"


def test_a_later_signed_rejection_withdraws_the_approval(repo: Path, keys: Path) -> None:
    digest = cab_status(repo, "rdm-admin-2024.3")["digest"]
    text = approval_text("rdm-admin-2024.3", digest, GRACE, "pilot", name="rdm-grace-no",
                         decision="rejected", approved_at="2026-11-22T09:00:00Z")  # fmt: skip
    commit(repo, {"approvals/rdm-grace-no.yaml": signed(text, GRACE, keys)}, author=GRACE)
    status = cab_status(repo, "rdm-admin-2024.3")
    assert verdicts(status)["rdm-admin-2024.3-pilot-grace.kim"] == "withdrawn"
    assert status["approvedRings"] == []


def test_a_pattern_principal_never_approves(repo: Path, keys: Path) -> None:
    signers = keys.parent / "wild"
    signers.mkdir()
    mallory = " ".join((KEYS / "mallory.attacker.pub").read_text().split()[:2])
    (signers / "allowed_signers").write_text(
        (KEYS / "allowed_signers").read_text()
        + f'*@contoso.example namespaces="git,eucora" {mallory}\n'
    )
    (signers / "trust-root.yaml").write_text((KEYS / "trust-root.yaml").read_text())
    digest = cab_status(repo, "globalprotect-6.3.2")["digest"]
    text = approval_text("globalprotect-6.3.2", digest, GRACE, "pilot", name="gp-as-grace")
    wildcard = approval_text("globalprotect-6.3.2", digest, '"*@contoso.example"', "pilot",
                             name="gp-wildcard")  # fmt: skip
    commit(repo, {"approvals/gp-as-grace.yaml": signed(text, MALLORY, keys),
                  "approvals/gp-wildcard.yaml": signed(wildcard, MALLORY, keys)},
           author=MALLORY)  # fmt: skip
    status = cab_status(repo, "globalprotect-6.3.2", signers=signers / "allowed_signers")
    assert verdicts(status)["gp-as-grace"] == "unknown-signer"
    assert verdicts(status)["gp-wildcard"] == "pattern-principal"


# --- legitimate flows keep working ---------------------------------------------------------


def test_valid_quorum_and_exception_still_count(repo: Path) -> None:
    assert cab_status(repo, "falcon-sensor-7.18")["approvedRings"] == ["pilot", "broad", "global"]
    jre = cab_status(repo, "oracle-jre-8u431")
    assert [e["reason"] for e in jre["exceptions"]] == ["valid"]
    code, status = governance_status(repo)
    assert code == 0 and status["pending"] == []


def _governance_approval(
    kind: str, name: str, digest: str, who: str, keys: Path,
    window: tuple[str, str] = ("2026-11-22T00:00:00Z", "2027-12-31T00:00:00Z"),
) -> dict[str, str]:  # fmt: skip
    short = who.split("@", maxsplit=1)[0]
    text = (
        "apiVersion: eucora.io/v1alpha1\nkind: GovernanceApproval\n"
        f"metadata: {{name: {kind.lower()}-{short}}}\nspec:\n"
        f'  document: {{kind: {kind}, name: {name}, digest: "{digest}"}}\n'
        f"  approver: {who}\n  decision: approved\n"
        f"  approvedAt: {window[0]}\n  expires: {window[1]}\n"
    )
    return {f"approvals/governance/{kind.lower()}-{short}.yaml": signed(text, who, keys)}


def test_a_governance_approver_cannot_approve_her_own_loosening(repo: Path, keys: Path) -> None:
    fleet = edit(repo / "fleet.yaml", "prune: false", "prune: true")
    commit(repo, {"fleet.yaml": fleet}, author=CAROL)  # Carol makes the change herself
    _, status = governance_status(repo)
    digest = status["pending"][0]["digest"]
    commit(repo, _governance_approval("FleetConfig", "contoso", digest, CAROL, keys), author=CAROL)
    commit(repo, _governance_approval("FleetConfig", "contoso", digest, DEV, keys), author=DEV)
    code, status = governance_status(repo)
    assert code == 1
    (pending,) = status["pending"]
    assert pending["approvers"] == [DEV] and "an approver is on a commit" in pending["loosens"][-1]
    commit(repo, _governance_approval("FleetConfig", "contoso", digest, FRANK, keys), author=FRANK)
    code, status = governance_status(repo)
    assert code == 0 and status["trusted"]["FleetConfig"] == digest


def test_the_requester_closing_or_downgrading_an_incident_is_pending(repo: Path) -> None:
    incident = repo / "incidents" / "inc-2026-077.yaml"
    requester = "sam.taylor@contoso.example"  # whoever: no single person may close it
    commit(repo, {"incidents/inc-2026-077.yaml": edit(incident, "severity: P2", "severity: P4")},
           author=requester)  # fmt: skip
    code, status = governance_status(repo)
    assert code == 1
    assert [(p["kind"], p["name"]) for p in status["pending"]] == [("Incident", "inc-2026-077")]
    assert "downgrades" in status["pending"][0]["loosens"][0]
    commit(repo, {"incidents/inc-2026-077.yaml": edit(
        incident, "status: investigating", "status: resolved")}, author=requester)  # fmt: skip
    code, planned = plan(repo)
    assert code == 1
    assert [p["kind"] for p in planned["pendingGovernance"]] == ["Incident"]


def test_deleting_an_open_incident_is_pending_without_a_state_store(repo: Path) -> None:
    commit(repo, {"incidents/inc-2026-077.yaml": None}, author="sam.taylor@contoso.example")
    code, status = governance_status(repo)
    assert code == 1
    assert [(p["kind"], p["digest"]) for p in status["pending"]] == [("Incident", "deleted")]
    assert "deletes open incident" in status["pending"][0]["loosens"][0]


def test_a_quorum_reached_once_stays_trusted_after_the_approvals_expire(
    repo: Path, keys: Path
) -> None:
    fleet = edit(repo / "fleet.yaml", "prune: false", "prune: true")
    commit(repo, {"fleet.yaml": fleet}, author=MARIA)
    digest = governance_status(repo)[1]["pending"][0]["digest"]
    # Dev's window closed before Frank's opened: never a quorum at one moment
    commit(repo, _governance_approval("FleetConfig", "contoso", digest, DEV, keys,
                                      ("2026-11-01T00:00:00Z", "2026-11-05T00:00:00Z")),
           author=DEV)  # fmt: skip
    commit(repo, _governance_approval("FleetConfig", "contoso", digest, FRANK, keys,
                                      ("2026-11-06T00:00:00Z", "2026-11-10T00:00:00Z")),
           author=FRANK)  # fmt: skip
    assert governance_status(repo)[0] == 1
    # Carol's window overlaps Frank's: the quorum was reached, and it stays a fact
    commit(repo, _governance_approval("FleetConfig", "contoso", digest, CAROL, keys,
                                      ("2026-11-07T00:00:00Z", "2026-11-09T00:00:00Z")),
           author=CAROL)  # fmt: skip
    code, status = governance_status(repo)
    assert code == 0 and status["trusted"]["FleetConfig"] == digest


def test_git_attributes_cannot_hide_a_withdrawal(repo: Path, keys: Path) -> None:
    digest = cab_status(repo, "rdm-admin-2024.3")["digest"]
    text = approval_text("rdm-admin-2024.3", digest, GRACE, "pilot", name="rdm-grace-no",
                         decision="rejected", approved_at="2026-11-22T09:00:00Z")  # fmt: skip
    commit(repo, {"approvals/rdm-grace-no.yaml": signed(text, GRACE, keys)}, author=GRACE)
    commit(repo, {".gitattributes": "approvals/rdm-grace-no.yaml export-ignore\n"
                                    "approvals/*.yaml export-subst\n"}, author=MALLORY)  # fmt: skip
    status = cab_status(repo, "rdm-admin-2024.3")
    assert verdicts(status)["rdm-admin-2024.3-pilot-grace.kim"] == "withdrawn"


def test_removing_a_first_trusted_repo_policy_is_pending_without_a_state_store(
    repo: Path, tmp_path: Path
) -> None:
    from reconciler.domain.governed import policy_set_digest

    rule = (
        "package eucora.custom.promotion\nimport rego.v1\n"
        'deny contains {"id": "org-hold", "msg": "held"} if input.intent.name == "x"\n'
    )
    commit(repo, {"policies/hold.rego": rule}, author=MARIA)
    trusted = policy_set_digest({"policies/hold.rego": rule})
    signers = tmp_path / "trust"
    signers.mkdir()
    (signers / "allowed_signers").write_text((KEYS / "allowed_signers").read_text())
    (signers / "trust-root.yaml").write_text(
        (KEYS / "trust-root.yaml").read_text()
        + f'    - {{kind: PolicySet, name: repo, digest: "{trusted}"}}\n'
    )
    commit(repo, {"policies/hold.rego": None}, author=MARIA)
    result = runner.invoke(
        app,
        ["governance", "status", "--repo", str(repo), "--signers",
         str(signers / "allowed_signers"), "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    (pending,) = json.loads(result.output)["pending"]
    assert pending["kind"] == "PolicySet"
    assert pending["loosens"] == ["removes or changes repo policy policies/hold.rego"]
