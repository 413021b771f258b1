"""The reports and the gate cannot disagree on CAB: one case table drives both.

Each case sets up the CAB facts of one intent (the class's quorum and roles, who approved
which rings in which role). The reconciler computes the requirement and the approval
verdicts; then, for every ring, the case's expectation is checked against every reader of
the CAB decision: the pass report's approved rings and ``eucora approve`` lines,
``eucora cab status``'s missing approvals, and the promotion gate into that ring. Run on
the embedded engine and on OPA's own Go engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconciler.cli._cab_next import ring_needs
from reconciler.domain.governance import GovernanceContext, IntentGovernance, evaluate_governance
from reconciler.domain.loader import load_repo
from reconciler.domain.models import (
    BlastRadius,
    CABApproval,
    Decision,
    DeploymentIntent,
    FleetRepo,
    RiskOverride,
    Source,
)
from reconciler.domain.policy_input import RingState, promotion_input
from reconciler.domain.ports import PolicyEngine
from reconciler.domain.progress import IntentProgress, Progress
from reconciler.domain.rollback import RollbackEvidence, build_key, rollback_facts
from reconciler.domain.tenant import InstallCounts
from reconciler.domain.trust import SignatureCheck, SignatureStatus, TrustRoot
from reconciler.engine import IntentReport
from reconciler.policy import EmbeddedEngine, load_policy_set
from tests.conftest import EXAMPLE_REPO
from tests.policy._opa_golib import GoOpaEngine

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
MEMBERS = {
    "carol.nguyen@contoso.example": ("cab-chair", "change-manager"),
    "dev.patel@contoso.example": ("cab-member", "security"),
    "erin.okafor@contoso.example": ("cab-member",),
    "frank.muller@contoso.example": ("cab-member", "security"),
    "grace.kim@contoso.example": ("cab-member", "operations"),
}
POLICIES = load_policy_set()
CAB_RULES = {r.id for r in POLICIES.rules if r.package == "eucora.cab" and r.kind == "deny"}


@dataclass(frozen=True)
class Case:
    name: str
    intent: str
    #: (approver, rings, exception) of each signed, valid-looking approval
    approvals: tuple[tuple[str, tuple[str, ...], str | None], ...]
    #: rings the CAB has approved, as every reader must say
    approved: tuple[str, ...]
    #: rings that need approval at all (from the requirement)
    needed: tuple[str, ...] = ("pilot", "broad", "global")
    quorum: int | None = None
    roles: tuple[str, ...] | None = None
    #: lower a factor by a riskOverride (the decision stays strict until approved)
    override: tuple[str, float] | None = None
    #: the auto-approval threshold of PRODUCTIVITY_TOOLS at the fleet's maturity level
    auto_approve: float | None = None


def _by(*who: str) -> tuple[str, ...]:
    return tuple(f"{w}@contoso.example" for w in who)


CASES = (
    Case("auto-approved: no ring needs approval", "7zip-24.08", (), (), needed=()),
    Case("nobody approved yet", "sap-gui-8.00", (), ()),
    Case(
        "quorum 2 with the change-manager role, pilot and broad",
        "sap-gui-8.00",
        (
            (_by("carol.nguyen")[0], ("pilot", "broad"), None),
            (_by("erin.okafor")[0], ("pilot", "broad", "global"), None),
        ),
        ("pilot", "broad"),
    ),
    Case(
        "quorum met without the required role",
        "sap-gui-8.00",
        tuple((a, ("pilot", "broad", "global"), None) for a in _by("erin.okafor", "grace.kim")),
        (),
    ),
    Case(
        "role held but quorum short",
        "sap-gui-8.00",
        ((_by("carol.nguyen")[0], ("pilot", "broad", "global"), None),),
        (),
    ),
    Case(
        "an exception's approvals do not approve the rollout",
        "sap-gui-8.00",
        tuple(
            (a, ("pilot", "broad", "global"), "sap-gui-8.00-risk")
            for a in _by("carol.nguyen", "erin.okafor")
        ),
        (),
    ),
    Case(
        "the same approver twice counts once",
        "sap-gui-8.00",
        ((_by("carol.nguyen")[0], ("pilot",), None), (_by("carol.nguyen")[0], ("pilot",), None)),
        (),
    ),
    Case(
        "a stricter class: three approvers with security and change-manager",
        "sap-gui-8.00",
        tuple(
            (a, ("pilot", "broad", "global"), None)
            for a in _by("carol.nguyen", "dev.patel", "erin.okafor")
        ),
        ("pilot", "broad", "global"),
        quorum=3,
        roles=("security", "change-manager"),
    ),
    Case(
        "a stricter class: security missing",
        "sap-gui-8.00",
        tuple(
            (a, ("pilot", "broad", "global"), None)
            for a in _by("carol.nguyen", "erin.okafor", "grace.kim")
        ),
        (),
        quorum=3,
        roles=("security", "change-manager"),
    ),
    Case(
        "riskOverrides that lower the score below the threshold still need CAB",
        "firefox-132.0.2",
        (),
        (),
        override=("exploitability", 0.2),
        auto_approve=25,
    ),
    Case(
        "riskOverrides are accepted by the approval that covers them",
        "firefox-132.0.2",
        ((_by("erin.okafor")[0], ("pilot", "broad", "global"), None),),
        ("pilot", "broad", "global"),
        override=("exploitability", 0.2),
        auto_approve=25,
    ),
)


class _AllSigned:
    """Every signature verifies: the case is about the CAB rule, not provenance."""

    def verify(self, principal: str, payload: bytes, signature: str, at: datetime) -> Any:
        return SignatureCheck(SignatureStatus.GOOD)


@pytest.fixture(scope="module", params=["embedded", "opa"])
def policy(request: pytest.FixtureRequest) -> Iterator[PolicyEngine]:
    if request.param == "embedded":
        yield EmbeddedEngine(POLICIES)
        return
    opa = GoOpaEngine(POLICIES)
    assert opa.compile_error is None, opa.compile_error
    yield opa
    opa.close()


def _repo(case: Case) -> tuple[FleetRepo, DeploymentIntent]:
    repo = load_repo(EXAMPLE_REPO).repo
    assert repo.fleet is not None
    intent = repo.intents[case.intent]
    if case.override:
        intent = replace(intent, risk_overrides=(RiskOverride(*case.override, "measured"),))
    fleet = repo.fleet
    if case.quorum is not None or case.roles is not None:
        blast = BlastRadius.BUSINESS_CRITICAL
        cab = replace(
            fleet.cab,
            quorum={**fleet.cab.quorum, blast: case.quorum or fleet.cab.quorum[blast]},
            required_roles={**fleet.cab.required_roles, blast: case.roles or ()},
        )
        fleet = replace(fleet, cab=cab)
    approvals = {}
    for index, (who, rings, exception) in enumerate(case.approvals):
        name = f"{case.intent}-{index}"
        approvals[name] = CABApproval(
            name=name,
            source=Source(f"approvals/{name}.yaml"),
            intent=case.intent,
            intent_digest=intent.digest,
            approver=who,
            decision=Decision.APPROVED,
            rings=rings,
            approved_at=NOW - timedelta(days=1),
            expires=NOW + timedelta(days=20),
            exception=exception,
            signature="signed",
        )
    intents = {**repo.intents, case.intent: intent}
    models = dict(repo.risk_models)
    if case.auto_approve is not None:
        model = models[fleet.risk_model]
        levels = tuple(
            replace(
                m,
                auto_approve={**m.auto_approve, BlastRadius.PRODUCTIVITY_TOOLS: case.auto_approve},
            )
            for m in model.maturity_levels
        )
        models[fleet.risk_model] = replace(model, maturity_levels=levels)
    repo = replace(repo, fleet=fleet, intents=intents, approvals=approvals, risk_models=models)
    return repo, intent


def _governance(case: Case, policy: PolicyEngine) -> tuple[FleetRepo, IntentGovernance]:
    repo, _ = _repo(case)
    context = GovernanceContext(
        verifier=_AllSigned(), trust=TrustRoot(members=MEMBERS), policy=policy
    )
    return repo, evaluate_governance(repo, case.intent, context, NOW)


@dataclass(frozen=True)
class _Evaluated:
    intent: DeploymentIntent
    governance: IntentGovernance
    desired: tuple[Any, ...] = ()


def _report(repo: FleetRepo, governance: IntentGovernance) -> IntentReport:
    intent = repo.intents[governance.intent]
    progress = IntentProgress(intent.name, Progress.HOLDING, "canary", "canary", NOW)
    return IntentReport.build(
        _Evaluated(intent, governance), progress, None, InstallCounts(), [], dry_run=True
    )


def _gate_denies(repo: FleetRepo, governance: IntentGovernance, ring: str, policy: Any) -> set[str]:
    """The CAB rules the promotion gate denies entering ``ring`` with, every other gate
    of the promotion passing."""
    assert repo.fleet is not None
    intent = repo.intents[governance.intent]
    names = repo.fleet.ring_names
    facts = rollback_facts(intent=intent, managed={}, evidence=None)
    rollback = replace(
        facts,
        superseded={p: {"present": True, "assignable": True} for p in facts.superseded},
        uninstall=dict.fromkeys(facts.uninstall, True),
        validated=RollbackEvidence(build_key(intent), intent.name, "canary", 2, NOW),
    )
    document = promotion_input(
        intent=intent,
        fleet=repo.fleet,
        target=ring,
        state=RingState(names[names.index(ring) - 1], NOW - timedelta(days=9)),
        incidents=(),
        risk=governance.risk_summary,
        cab=governance.cab_summary,
        exceptions=governance.valid_exceptions,
        rollback=rollback,
        now=NOW,
    )
    return {v.id for v in policy.decide("promotion", document).deny} & CAB_RULES


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reports_and_gate_agree_on_cab(case: Case, policy: PolicyEngine) -> None:
    repo, governance = _governance(case, policy)
    assert governance.need.rings == case.needed
    report = _report(repo, governance)
    needs = {n.ring: n for n in ring_needs(governance, repo, MEMBERS)}
    assert all(
        c.split()[:3] == ["eucora", "approve", case.intent] for c in report.approve_commands()
    )
    for ring in ("canary", "pilot", "broad", "global"):
        approved = ring in case.approved or ring not in case.needed
        gate = _gate_denies(repo, governance, ring, policy)
        assert (not gate) is approved, (ring, gate)
        if ring not in case.needed:
            assert ring not in needs and ring not in report.approved_rings
            continue
        decision = governance.cab_decisions[ring]
        assert {v.id for v in decision.deny} == gate
        assert (ring in report.approved_rings) is approved
        assert needs[ring].done is approved
        assert needs[ring].describe().endswith("approved") is approved
        asked = {r for c in report.approve_commands() for r in c.split()[4].split(",")}
        assert (ring in asked) is (not approved)
