"""Every policy case decides the same on OPA's own Go engine as on the embedded rego-cpp one.

OPA is the judge here: it refuses Rego that rego-cpp accepts (``package`` as a variable
name) and formats differently (``sprintf("%.1f", [97])`` is ``%!f(int64=97)`` on OPA), so
a policy that only the embedded engine runs correctly would fail closed on an OPA server.
The engine comes from the pinned ``opa-golib-python-bindings`` wheel (see ``_opa_golib``);
if it cannot be obtained these tests fail rather than skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.policy import EmbeddedEngine, PolicyCase, load_policy_set
from reconciler.policy._cases import check
from reconciler.policy._policyset import Module, PolicySet
from tests.policy._opa_golib import GoOpaEngine
from tests.policy.conftest import CASES

IDS = [f"{c.file}::{c.name}" for c in CASES]


@pytest.fixture(scope="module")
def opa() -> Iterator[GoOpaEngine]:
    engine = GoOpaEngine(load_policy_set())
    assert engine.compile_error is None, engine.compile_error
    yield engine
    engine.close()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_case_on_opa_matches_embedded(
    opa: GoOpaEngine, engine: EmbeddedEngine, case: PolicyCase
) -> None:
    on_opa = opa.decide(case.decision, case.input)
    assert check(case, on_opa).passed, check(case, on_opa).problems
    embedded = engine.decide(case.decision, case.input)
    assert on_opa.allow == embedded.allow
    assert [(v.id, v.msg) for v in on_opa.deny] == [(v.id, v.msg) for v in embedded.deny]
    assert [(v.id, v.msg) for v in on_opa.warn] == [(v.id, v.msg) for v in embedded.warn]


def test_whole_numbers_format_with_one_decimal_on_opa(opa: GoOpaEngine) -> None:
    case = next(c for c in CASES if c.name == "95.1% over 412 devices is below 97%")
    (violation,) = opa.decide("promotion", case.input).deny
    assert violation.msg == (
        "7zip-24.08: canary success 95.1% < 97.0% required for pilot over 412 devices"
    )
    assert "%!" not in violation.msg


def test_opa_refuses_what_rego_cpp_lets_through() -> None:
    """The judge is stricter than the embedded engine: ``package`` is a keyword to OPA."""
    text = (
        "package eucora.admission\nimport rego.v1\n"
        "names contains p if { some _, package in input.packages; p := package }\n"
        'decision := {"allow": true, "deny": [], "warn": []}\n'
    )
    policies = PolicySet((Module("keyword.rego", text, "eucora.admission", True),))
    opa = GoOpaEngine(policies)
    assert opa.compile_error is not None
    assert opa.decide("admission", {}).allow is False
    opa.close()
