from __future__ import annotations

import pytest

from reconciler.policy import EmbeddedEngine, PolicyCase, builtin_dir, load_cases, load_policy_set


@pytest.fixture(scope="session")
def engine() -> EmbeddedEngine:
    return EmbeddedEngine(load_policy_set())


CASES: list[PolicyCase] = load_cases([builtin_dir()])
