"""The policy test cases (policies/*/tests/*.yaml) run under pytest too, one test each."""

from __future__ import annotations

import pytest

from reconciler.domain.documents import schemas
from reconciler.policy import EmbeddedEngine, PolicyCase, load_policy_set
from reconciler.policy._cases import check, exercised_ids
from tests.policy.conftest import CASES

IDS = [f"{c.file}::{c.name}" for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_case(engine: EmbeddedEngine, case: PolicyCase) -> None:
    result = check(case, engine.decide(case.decision, case.input))
    assert result.passed, result.problems


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_case_input_matches_the_schema(case: PolicyCase) -> None:
    if "input-incomplete" in case.expect.get("deny_ids", ()):
        pytest.skip("deliberately incomplete input: the policy itself must fail closed")
    assert [p.message for p in schemas.validate_policy_input(case.input)] == []


def test_enough_cases_and_every_rule_exercised() -> None:
    assert len(CASES) >= 40
    rules = load_policy_set().rule_ids()
    assert rules - exercised_ids(CASES) == set()


def test_messages_name_intent_ring_and_numbers(engine: EmbeddedEngine) -> None:
    case = next(c for c in CASES if c.name == "95.1% over 412 devices is below 97%")
    (violation,) = engine.decide("promotion", case.input).deny
    assert violation.msg == (
        "7zip-24.08: canary success 95.1% < 97.0% required for pilot over 412 devices"
    )
