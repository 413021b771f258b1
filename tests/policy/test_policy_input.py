"""The pure input builders produce schema-valid documents the policies decide on correctly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconciler.domain.documents import schemas
from reconciler.domain.documents.loader import load_repo
from reconciler.domain.documents.models import DeploymentIntent, FleetRepo
from reconciler.domain.inputs.compliance import ClassCompliance, Connectivity, RingCompliance
from reconciler.domain.inputs.policy_input import (
    CabSummary,
    RingState,
    RiskSummary,
    ValidApproval,
    ValidException,
    admission_input,
    effective_gates,
    health_input,
    promotion_input,
)
from reconciler.domain.inputs.rollback import (
    RollbackEvidence,
    RollbackFacts,
    build_key,
    rollback_facts,
)
from reconciler.domain.tenant import InstallCounts
from reconciler.policy import EmbeddedEngine, load_policy_set
from tests.conftest import EXAMPLE_REPO

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
RISK = RiskSummary(25.5, "NON_CRITICAL", 50, 75, "auto_approved")


@pytest.fixture(scope="module")
def repo() -> FleetRepo:
    return load_repo(EXAMPLE_REPO).repo


def _promotion(
    repo: FleetRepo,
    name: str,
    target: str,
    state: RingState,
    *,
    risk: RiskSummary = RISK,
    cab: CabSummary | None = None,
    exceptions: tuple[ValidException, ...] = (),
    rollback: RollbackFacts | None = None,
) -> dict[str, Any]:
    assert repo.fleet is not None
    return promotion_input(
        intent=repo.intents[name],
        fleet=repo.fleet,
        target=target,
        state=state,
        incidents=repo.incidents_for(name),
        risk=risk,
        cab=cab or CabSummary(quorum=1),
        exceptions=exceptions,
        rollback=rollback or _ready_rollback(repo.intents[name]),
        now=NOW,
    )


def test_every_example_intent_builds_schema_valid_inputs(repo: FleetRepo) -> None:
    assert repo.fleet is not None
    state = RingState("canary", NOW - timedelta(hours=30), InstallCounts(100, 1, 3))
    for name, intent in repo.intents.items():
        documents = [
            admission_input(intent=intent, fleet=repo.fleet, risk=RISK, now=NOW),
            _promotion(repo, name, "pilot", state),
            health_input(intent=intent, fleet=repo.fleet, state=state, incidents=(), now=NOW),
        ]
        for document in documents:
            assert [p.message for p in schemas.validate_policy_input(document)] == [], name


def test_times_are_epoch_seconds_and_gates_are_tightened(repo: FleetRepo) -> None:
    entered = NOW - timedelta(hours=100)
    document = _promotion(repo, "sap-gui-8.00", "broad", RingState("pilot", entered))
    assert document["now"] == NOW.timestamp()
    assert document["promotion"] == {
        "from": "pilot",
        "to": "broad",
        "enteredFromAt": entered.timestamp(),
    }
    # fleet says 0.99/150/72h for broad; the SAP intent tightens to 0.995/200/96h
    assert document["gates"] == {
        "minSuccessRate": 0.995,
        "minDevices": 200,
        "soakHours": 96,
        "minCompliantShare": 0.9,
    }
    assert repo.fleet is not None
    loosened = effective_gates(repo.fleet, repo.intents["7zip-24.08"], "broad")
    assert (loosened.min_success_rate, loosened.min_devices) == (0.99, 150)


def test_freeze_windows_and_incidents_are_carried(repo: FleetRepo) -> None:
    document = _promotion(repo, "teams-24295", "pilot", RingState("canary", NOW))
    assert document["freezeWindows"][0]["name"] == "year-end-2026"
    assert (
        document["freezeWindows"][0]["start"] == datetime(2026, 12, 19, 18, tzinfo=UTC).timestamp()
    )
    (incident,) = document["incidents"]
    assert (incident["name"], incident["open"], incident["severity"]) == (
        "inc-2026-077",
        True,
        "P2",
    )


def test_health_sample_is_the_next_promotion_requirement(repo: FleetRepo) -> None:
    assert repo.fleet is not None
    document = health_input(
        intent=repo.intents["7zip-24.08"],
        fleet=repo.fleet,
        state=RingState("lab", NOW, InstallCounts(10, 5)),
        incidents=(),
        now=NOW,
    )
    # lab has no gates of its own; canary's minDevices (20) judges lab
    assert document["health"] == {"ring": "lab", "haltBelowSuccessRate": 0.9, "minDevices": 20}


def _ready_rollback(intent: DeploymentIntent) -> RollbackFacts:
    """The way back present on every platform and exercised in canary."""
    facts = rollback_facts(intent=intent, managed={}, evidence=None)
    return replace(
        facts,
        superseded={p: {"present": True, "assignable": True} for p in facts.superseded},
        uninstall=dict.fromkeys(facts.uninstall, True),
        validated=RollbackEvidence(build_key(intent), intent.name, "canary", 2, NOW),
    )


def test_builder_and_policies_together(repo: FleetRepo) -> None:
    engine = EmbeddedEngine(load_policy_set())
    entered = NOW - timedelta(hours=49)
    compliance = RingCompliance(
        "canary",
        entered,
        (
            ClassCompliance(Connectivity.ONLINE, 24.0, 120, 118, 0, 2),
            ClassCompliance(Connectivity.AIR_GAPPED, 168.0, 24, 18, 6, 0),
        ),
    )
    healthy = RingState("canary", entered, InstallCounts(138, 2, 4), compliance)
    assert engine.decide("promotion", _promotion(repo, "7zip-24.08", "pilot", healthy)).allow
    teams = engine.decide("promotion", _promotion(repo, "teams-24295", "pilot", healthy))
    assert [v.id for v in teams.deny] == ["open-incident"]
    approvals = (ValidApproval("erin.okafor@contoso.example", ("cab-member",), ("pilot",)),)
    risky = RiskSummary(80.0, "BUSINESS_CRITICAL", 10, 75, "exception_required")
    exception = ValidException("jre-risk", True, NOW + timedelta(days=30), rings=("pilot",))
    decision = engine.decide(
        "promotion",
        _promotion(
            repo,
            "oracle-jre-8u431",
            "pilot",
            healthy,
            risk=risky,
            cab=CabSummary(quorum=1, approvals=approvals),
            exceptions=(exception,),
        ),
    )
    assert decision.allow and [v.id for v in decision.warn] == ["risk-exception-used"]
    # nothing of the way back observed: held before pilot, naming each missing piece
    nothing = rollback_facts(intent=repo.intents["7zip-24.08"], managed={}, evidence=None)
    held = engine.decide(
        "promotion", _promotion(repo, "7zip-24.08", "pilot", healthy, rollback=nothing)
    )
    assert {v.id for v in held.deny} == {"rollback-validated"}
    messages = " | ".join(v.msg for v in held.deny)
    assert "no uninstall command or policy on windows" in messages
    assert "no uninstall command or policy on macos" in messages
    # without the ring's device counts the time to compliance cannot be proven
    unmeasured = RingState("canary", entered, InstallCounts(138, 2, 4))
    blind = engine.decide("promotion", _promotion(repo, "7zip-24.08", "pilot", unmeasured))
    assert [v.id for v in blind.deny] == ["time-to-compliance"]


def test_every_example_intent_is_admitted(repo: FleetRepo) -> None:
    from reconciler.domain.evaluation.governance import GovernanceContext, evaluate_governance

    assert repo.fleet is not None
    engine = EmbeddedEngine(load_policy_set())
    for name, intent in repo.intents.items():
        risk = evaluate_governance(repo, name, GovernanceContext(), NOW).risk_summary
        document = admission_input(intent=intent, fleet=repo.fleet, risk=risk, now=NOW)
        decision = engine.decide("admission", document)
        assert decision.allow, (name, decision.deny)
