"""A source's newest revision: loaded once from its commit tree, held until replaced."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from reconciler.domain.errors import InvalidRepositoryError
from reconciler.domain.ports import Revision
from reconciler.operator._loaded import HeldRevision
from tests.operator.conftest import GIT_ENV


def _revision(repo: Path) -> Revision:
    return Revision(str(repo), git.Repo(repo).head.commit.hexsha, "main")


def test_the_commit_is_loaded_not_the_work_tree(fleet_git: Path) -> None:
    committed = _revision(fleet_git)
    (fleet_git / "intents" / "vlc-3.0.21.yaml").unlink()  # not committed
    held = HeldRevision()
    loaded = held.load(committed)
    assert "vlc-3.0.21" in loaded.repo.intents
    assert loaded.root != fleet_git and (loaded.root / "intents" / "vlc-3.0.21.yaml").is_file()
    held.close()
    assert held.loaded is None and not loaded.root.exists()


def test_a_new_revision_replaces_the_held_one_and_a_bad_one_keeps_it(fleet_git: Path) -> None:
    held = HeldRevision()
    first = held.load(_revision(fleet_git))
    repo = git.Repo(fleet_git)
    repo.git.rm("intents/vlc-3.0.21.yaml")
    repo.git.commit("-m", "drop vlc", "--no-gpg-sign", env=GIT_ENV)
    second = held.load(_revision(fleet_git))
    assert not first.root.exists() and second.root.exists()
    assert "vlc-3.0.21" not in second.repo.intents
    (fleet_git / "fleet.yaml").write_text("kind: [unclosed\n")
    repo.git.commit("-am", "break", "--no-gpg-sign", env=GIT_ENV)
    with pytest.raises(InvalidRepositoryError, match="findings, first"):
        held.load(_revision(fleet_git))
    assert held.loaded is second and second.root.exists()
    held.close()
