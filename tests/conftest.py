"""Shared fixtures: paths to the shipped example repo and schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_REPO = ROOT / "examples" / "fleet-repo"
#: intents in the example fleet repo (the demo and the operator tests materialize them all)
EXAMPLE_INTENTS = len(list((EXAMPLE_REPO / "intents").glob("*.yaml")))


@pytest.fixture
def example_repo() -> Path:
    return EXAMPLE_REPO
