"""Fixtures of the PR journey: a copy of the example fleet repo to break in the ways people do."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE_REPO


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    target = tmp_path / "fleet"
    shutil.copytree(EXAMPLE_REPO, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
