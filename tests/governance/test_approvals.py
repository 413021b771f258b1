"""CAB approvals proven from Git: every forged or broken approval is refused with its reason.

Each test builds a real git repo in a tmp dir; commits are signed with real SSH keys and
verified by git against an allowed-signers file that does not come from the repo.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.domain.documents.loader import load_repo
from reconciler.domain.evaluation.cab import Reason
from reconciler.domain.evaluation.governance import GovernanceContext, evaluate_governance
from tests.governance._gitrepo import (
    CAB,
    EXAMPLE_REPO,
    FleetGit,
    approval,
    base_repo,
    context,
    make_keys,
    signers_file,
)

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
CAROL, DEV, ERIN, FRANK, GRACE = (f"{n}@contoso.example" for n in CAB)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_keys(tmp_path_factory.mktemp("keys") / "keys")


@pytest.fixture
def fleet(tmp_path: Path, keys: Path) -> FleetGit:
    return base_repo(tmp_path / "repo", keys)


@pytest.fixture
def signers(tmp_path: Path, keys: Path) -> Path:
    return signers_file(keys, (*CAB, "zoe.outsider"), tmp_path / "allowed_signers")


def verdicts(fleet: FleetGit, signers: Path | None, intent: str) -> dict[str, tuple[str, bool]]:
    repo = load_repo(fleet.root)
    assert repo.ok, repo.findings
    result = evaluate_governance(repo.repo, intent, context(fleet.root, signers), NOW)
    return {v.approval.name: (v.reason.value, v.valid) for v in result.approvals}


def approved(fleet: FleetGit, signers: Path, intent: str) -> dict[str, bool]:
    repo = load_repo(fleet.root).repo
    return evaluate_governance(repo, intent, context(fleet.root, signers), NOW).ring_approved


def add(fleet: FleetGit, text: str, author: str, sign_as: str | None) -> None:
    """Commit an approval as ``author``; ``sign_as`` signs both its content (the
    attestation) and the commit; ``None`` leaves both unsigned."""
    name = text.split("name: ")[1].split("}", maxsplit=1)[0]
    signed = fleet.attest(text, sign_as) if sign_as else text
    fleet.commit({f"approvals/{name}.yaml": signed}, author, sign_as=sign_as)


def test_valid_signed_approval_meets_quorum_1(fleet: FleetGit, signers: Path) -> None:
    tool = fleet.digest("admin-tool-1.0")
    add(fleet, approval("admin-tool-1.0", tool, GRACE, "pilot"), GRACE, GRACE)
    assert verdicts(fleet, signers, "admin-tool-1.0") == {
        "admin-tool-1.0-grace.kim": ("valid", True)
    }
    assert approved(fleet, signers, "admin-tool-1.0") == {"pilot": True}


@pytest.mark.parametrize(
    ("reason", "author", "sign_as", "edit"),
    [
        (Reason.UNSIGNED, ERIN, None, {}),
        (Reason.UNKNOWN_SIGNER, ERIN, "mallory.attacker@contoso.example", {}),
        (Reason.UNKNOWN_SIGNER, ERIN, CAROL, {}),
        (
            Reason.NOT_CAB_MEMBER,
            "zoe.outsider@contoso.example",
            "zoe.outsider@contoso.example",
            {"approver": "zoe.outsider@contoso.example"},
        ),
        (Reason.ROLE_NOT_HELD, ERIN, ERIN, {"role": "security"}),
        (Reason.DIGEST_MISMATCH, ERIN, ERIN, {"digest": "sha256:" + "0" * 64}),
        (Reason.EXPIRED, ERIN, ERIN, {"expires": "2026-11-23T11:59:59Z"}),
        (Reason.REJECTED_DECISION, ERIN, ERIN, {"decision": "rejected"}),
    ],
)
def test_broken_approval_is_refused(
    fleet: FleetGit,
    signers: Path,
    reason: Reason,
    author: str,
    sign_as: str | None,
    edit: dict[str, str],
) -> None:
    sap = edit.pop("digest", fleet.digest("sap-gui-8.00"))
    approver = edit.pop("approver", ERIN)
    text = approval("sap-gui-8.00", sap, approver, name="sap-test", **edit)
    add(fleet, text, author, sign_as)
    assert verdicts(fleet, signers, "sap-gui-8.00") == {"sap-test": (reason.value, False)}
    assert approved(fleet, signers, "sap-gui-8.00")["pilot"] is False


def test_requester_cannot_approve(fleet: FleetGit, signers: Path) -> None:
    sap = fleet.digest("sap-gui-8.00")
    # Carol is a CAB member; make her the requester of a copy of the SAP intent
    text = (EXAMPLE_REPO / "intents" / "sap-gui-8.00.yaml").read_text()
    fleet.commit(
        {"intents/sap-gui-8.00.yaml": text.replace("maria.garcia@", "carol.nguyen@")}, CAROL
    )
    sap = fleet.digest("sap-gui-8.00")
    add(fleet, approval("sap-gui-8.00", sap, CAROL), CAROL, CAROL)
    assert verdicts(fleet, signers, "sap-gui-8.00")["sap-gui-8.00-carol.nguyen"] == (
        "self-approval",
        False,
    )


def test_author_of_the_intent_change_cannot_approve(fleet: FleetGit, signers: Path) -> None:
    text = (EXAMPLE_REPO / "intents" / "sap-gui-8.00.yaml").read_text()
    fleet.commit(
        {"intents/sap-gui-8.00.yaml": text.replace("targetUsers: 950", "targetUsers: 960")}, ERIN
    )
    add(fleet, approval("sap-gui-8.00", fleet.digest("sap-gui-8.00"), ERIN), ERIN, ERIN)
    assert (
        verdicts(fleet, signers, "sap-gui-8.00")["sap-gui-8.00-erin.okafor"][0] == "self-approval"
    )


def test_each_principal_counts_once(fleet: FleetGit, signers: Path) -> None:
    sap = fleet.digest("sap-gui-8.00")
    add(fleet, approval("sap-gui-8.00", sap, CAROL, name="first"), CAROL, CAROL)
    add(fleet, approval("sap-gui-8.00", sap, CAROL, name="second"), CAROL, CAROL)
    result = verdicts(fleet, signers, "sap-gui-8.00")
    assert sorted(result.values()) == [("duplicate-approver", False), ("valid", True)]
    assert approved(fleet, signers, "sap-gui-8.00")["pilot"] is False  # quorum 2


def test_business_critical_needs_two_distinct_approvers(fleet: FleetGit, signers: Path) -> None:
    sap = fleet.digest("sap-gui-8.00")
    add(fleet, approval("sap-gui-8.00", sap, CAROL, role="change-manager"), CAROL, CAROL)
    assert approved(fleet, signers, "sap-gui-8.00")["broad"] is False
    add(fleet, approval("sap-gui-8.00", sap, ERIN), ERIN, ERIN)
    assert approved(fleet, signers, "sap-gui-8.00") == {
        "pilot": True,
        "broad": True,
        "global": True,
    }


def test_critical_infrastructure_needs_three_with_roles(fleet: FleetGit, signers: Path) -> None:
    falcon = fleet.digest("falcon-sensor-7.18")
    for who in (DEV, FRANK, ERIN):
        add(fleet, approval("falcon-sensor-7.18", falcon, who), who, who)
    # three approvers, but none holds change-manager
    assert approved(fleet, signers, "falcon-sensor-7.18")["pilot"] is False
    add(fleet, approval("falcon-sensor-7.18", falcon, CAROL), CAROL, CAROL)
    assert approved(fleet, signers, "falcon-sensor-7.18")["pilot"] is True


def test_pr_author_adding_themselves_to_the_cab_gains_nothing(
    fleet: FleetGit, signers: Path
) -> None:
    paul = "paul.author@contoso.example"
    fleet_yaml = (
        (fleet.root / "fleet.yaml")
        .read_text()
        .replace(
            "    members:\n",
            "    members:\n      - {principal: paul.author@contoso.example, roles: [cab-member, security]}\n",
        )
    )
    tool = fleet.digest("admin-tool-1.0")
    fleet.commit(
        {
            "fleet.yaml": fleet_yaml,
            "approvals/admin-tool-1.0-paul.author.yaml": fleet.attest(
                approval("admin-tool-1.0", tool, paul, "pilot"), paul
            ),
        },
        paul,
        sign_as=paul,
    )
    assert verdicts(fleet, signers, "admin-tool-1.0") == {
        "admin-tool-1.0-paul.author": ("unknown-signer", False)
    }
    assert approved(fleet, signers, "admin-tool-1.0") == {"pilot": False}


def test_without_a_signers_file_nothing_verifies(fleet: FleetGit) -> None:
    tool = fleet.digest("admin-tool-1.0")
    add(fleet, approval("admin-tool-1.0", tool, GRACE, "pilot"), GRACE, GRACE)
    assert verdicts(fleet, None, "admin-tool-1.0") == {
        "admin-tool-1.0-grace.kim": ("unknown-signer", False)
    }


def test_unsigned_documents_prove_nothing(tmp_path: Path) -> None:
    repo = load_repo(EXAMPLE_REPO).repo
    result = evaluate_governance(repo, "sap-gui-8.00", GovernanceContext(), NOW)
    assert {v.reason for v in result.approvals} == {Reason.UNSIGNED}


def test_exception_rules(fleet: FleetGit, signers: Path) -> None:
    jre = fleet.digest("oracle-jre-8u431")
    exception = re.sub(
        r'intentDigest: "[^"]+"',
        f'intentDigest: "{jre}"',
        (EXAMPLE_REPO / "exceptions" / "oracle-jre-8u431-risk.yaml").read_text(),
    )
    fleet.commit(
        {"exceptions/oracle-jre-8u431-risk.yaml": exception},
        "maria.garcia@contoso.example",
        date="2026-11-22T10:00:00+00:00",
    )

    def state() -> tuple[str, tuple[str, ...]]:
        repo = load_repo(fleet.root).repo
        result = evaluate_governance(repo, "oracle-jre-8u431", context(fleet.root, signers), NOW)
        (verdict,) = result.exceptions
        return verdict.reason.value, verdict.approvers

    assert state() == ("not-approved", ())
    bound = load_repo(fleet.root).repo.exceptions["oracle-jre-8u431-risk"].digest
    for who in (CAROL, FRANK):
        text = approval(
            "oracle-jre-8u431", jre, who, "pilot", exception="oracle-jre-8u431-risk",
            exception_digest=bound, name=f"jre-exception-{who.split('.')[0]}",
        )  # fmt: skip
        add(fleet, text, who, who)
    assert state() == ("valid", (CAROL, FRANK))
    # an expiry more than 90 days after the signed approvedAt is not honoured, whatever
    # date the commit that added the exception carries
    longer = (
        (fleet.root / "exceptions" / "oracle-jre-8u431-risk.yaml")
        .read_text()
        .replace("expires: 2027-02-15T00:00:00Z", "expires: 2027-03-15T00:00:00Z")
        .replace("name: oracle-jre-8u431-risk", "name: jre-long")
    )
    fleet.commit(
        {"exceptions/other.yaml": longer}, "maria.garcia@contoso.example",
        date="2027-01-01T11:00:00+00:00",
    )  # fmt: skip
    long_digest = load_repo(fleet.root).repo.exceptions["jre-long"].digest
    for who in (CAROL, FRANK):
        text = approval(
            "oracle-jre-8u431", jre, who, "pilot", exception="jre-long",
            exception_digest=long_digest, name=f"jre-long-{who.split('.')[0]}",
        )  # fmt: skip
        add(fleet, text, who, who)
    repo = load_repo(fleet.root).repo
    result = evaluate_governance(repo, "oracle-jre-8u431", context(fleet.root, signers), NOW)
    assert {v.exception.name: v.reason.value for v in result.exceptions}[
        "jre-long"
    ] == "expiry-too-long"
