"""Risk scores are recomputed by hand from the model's weights; the model is data."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.domain.documents.loader import load_repo
from reconciler.domain.documents.models import BlastRadius, FleetRepo
from reconciler.domain.evaluation.blast_radius import classify
from reconciler.domain.evaluation.cab import CabDecision, requirement
from reconciler.domain.evaluation.risk import assess_risk
from tests.conftest import EXAMPLE_REPO

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
W = {  # weights of risk model v1.1
    "privilege_impact": 0.20,
    "supply_chain_trust": 0.15,
    "exploitability": 0.10,
    "data_access": 0.10,
    "sbom_vulnerability": 0.15,
    "blast_radius": 0.10,
    "operational_complexity": 0.10,
    "history": 0.10,
}

# factor values read off the model's rules by hand, per intent
BY_HAND = {
    # unprivileged, trusted+SBOM, utility, 1 high CVE, raised to PRODUCTIVITY (900 users),
    # two platforms, an earlier 7-Zip caused a P3
    "7zip-24.08": dict(zip(W, (0.1, 0.1, 0.2, 0.2, 0.4, 0.4, 0.4, 0.5), strict=True)),
    # privileged EDR agent: security category, clean scan, critical infrastructure
    "falcon-sensor-7.18": dict(zip(W, (1.0, 0.1, 0.5, 0.9, 0.05, 1.0, 0.4, 0.1), strict=True)),
    # privileged runtime, untrusted publisher, critical CVEs, data_access overridden to 0.9,
    # forced restart
    "oracle-jre-8u431": dict(zip(W, (1.0, 0.6, 0.8, 0.9, 1.0, 0.7, 0.9, 0.1), strict=True)),
    # VLC: media player for 95 users, nothing raises it
    "vlc-3.0.21": dict(zip(W, (0.1, 0.1, 0.2, 0.2, 0.05, 0.1, 0.4, 0.1), strict=True)),
    # SAP GUI: ERP data, business critical, file detection, one platform
    "sap-gui-8.00": dict(zip(W, (0.1, 0.1, 0.2, 0.9, 0.05, 0.7, 0.2, 0.1), strict=True)),
}


@pytest.fixture(scope="module")
def repo() -> FleetRepo:
    return load_repo(EXAMPLE_REPO).repo


@pytest.mark.parametrize("name", sorted(BY_HAND))
def test_score_recomputed_by_hand(repo: FleetRepo, name: str) -> None:
    values = BY_HAND[name]
    expected = round(100 * sum(W[f] * v for f, v in values.items()), 2)
    assert repo.risk_model is not None
    assessment = assess_risk(repo.intents[name], repo.risk_model, repo, NOW)
    assert assessment.score == expected
    assert {f.name: f.value for f in assessment.factors} == values
    for factor in assessment.factors:
        assert factor.contribution == round(100 * factor.weight * factor.value, 2)
        assert factor.reason and factor.source


def test_override_is_shown_with_its_justification(repo: FleetRepo) -> None:
    assert repo.risk_model is not None
    factor = next(
        f
        for f in assess_risk(repo.intents["oracle-jre-8u431"], repo.risk_model, repo, NOW).factors
        if f.name == "data_access"
    )
    assert factor.source == "override (spec.riskOverrides)"
    assert "payment files" in factor.reason


def test_changing_the_model_file_changes_scores_without_code(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE_REPO, tmp_path / "repo")
    model = tmp_path / "repo" / "risk-models" / "v1.1.yaml"
    text = model.read_text()
    text = text.replace("weight: 0.20", "weight: 0.30").replace(
        "- name: history\n      weight: 0.10", "- name: history\n      weight: 0.00"
    )
    model.write_text(text)
    repo = load_repo(tmp_path / "repo").repo
    assert repo.risk_model is not None
    values = BY_HAND["falcon-sensor-7.18"]
    weights = {**W, "privilege_impact": 0.30, "history": 0.0}
    expected = round(100 * sum(weights[f] * v for f, v in values.items()), 2)
    assessment = assess_risk(repo.intents["falcon-sensor-7.18"], repo.risk_model, repo, NOW)
    assert assessment.score == expected != 51.25


def test_scores_are_deterministic(repo: FleetRepo) -> None:
    assert repo.risk_model is not None
    runs = {
        assess_risk(i, repo.risk_model, repo, NOW) for i in repo.intents.values() for _ in range(2)
    }
    assert len(runs) == len(repo.intents)


def test_classifier_raises_and_says_why_never_lowers(repo: FleetRepo) -> None:
    assert repo.risk_model is not None
    teams = classify(repo.intents["teams-24295"], repo.risk_model)
    assert (teams.declared, teams.effective) == (
        BlastRadius.PRODUCTIVITY_TOOLS,
        BlastRadius.BUSINESS_CRITICAL,
    )
    assert any("1500 users" in r for r in teams.reasons)
    # VLC is declared NON_CRITICAL for 95 users: nothing raises it
    assert classify(repo.intents["vlc-3.0.21"], repo.risk_model).raised is False
    # SAP GUI is declared BUSINESS_CRITICAL; the PRODUCTIVITY rule (>100 users) never lowers it
    sap = classify(repo.intents["sap-gui-8.00"], repo.risk_model)
    assert sap.effective is BlastRadius.BUSINESS_CRITICAL


@pytest.mark.parametrize(
    ("name", "decision", "quorum", "rings"),
    [
        ("7zip-24.08", CabDecision.AUTO_APPROVED, 1, ()),
        ("vlc-3.0.21", CabDecision.AUTO_APPROVED, 1, ()),
        ("sap-gui-8.00", CabDecision.CAB_REQUIRED, 2, ("pilot", "broad", "global")),
        ("falcon-sensor-7.18", CabDecision.CAB_REQUIRED, 3, ("pilot", "broad", "global")),
        ("rdm-admin-2024.3", CabDecision.CAB_REQUIRED, 1, ("pilot",)),
        ("oracle-jre-8u431", CabDecision.EXCEPTION_REQUIRED, 2, ("pilot",)),
    ],
)
def test_cab_requirement(
    repo: FleetRepo, name: str, decision: CabDecision, quorum: int, rings: tuple[str, ...]
) -> None:
    assert repo.fleet is not None and repo.risk_model is not None
    assessment = assess_risk(repo.intents[name], repo.risk_model, repo, NOW)
    need = requirement(
        repo.intents[name],
        assessment.score,
        assessment.classification.effective,
        repo.fleet,
        repo.risk_model,
    )
    assert (need.decision, need.quorum, need.rings) == (decision, quorum, rings)
