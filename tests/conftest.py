"""Shared fixtures: paths to the shipped example repo and schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_REPO = ROOT / "examples" / "fleet-repo"


@pytest.fixture
def example_repo() -> Path:
    return EXAMPLE_REPO
