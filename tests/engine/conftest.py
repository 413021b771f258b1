from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine._harness import example_git


@pytest.fixture(scope="session")
def built_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("built")


@pytest.fixture
def fleet(built_cache: Path, tmp_path: Path) -> Path:
    """A private copy of the example fleet repo with its git history."""
    return example_git(built_cache, tmp_path / "fleet")
