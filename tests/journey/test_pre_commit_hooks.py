"""The hooks in .pre-commit-hooks.yaml, run by pre-commit itself on a fleet repo.

``pre-commit try-repo`` installs this project into pre-commit's own virtualenv (as a user's
``repo:`` entry would) and runs the hook; the first run builds the environment (tens of
seconds), the others reuse it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import git
import pytest

from tests.conftest import EXAMPLE_REPO, ROOT
from tests.journey.conftest import edit

PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit")
GIT_ENV = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com"}  # fmt: skip


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _fleet(tmp_path: Path) -> Path:
    root = tmp_path / "fleet-repo"
    shutil.copytree(EXAMPLE_REPO, root)
    repo = git.Repo.init(root, initial_branch="main")
    repo.git.add("-A")
    repo.git.commit("-qm", "fleet", "--no-gpg-sign", env=GIT_ENV)
    return root


def _try(home: Path, root: Path, hook: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [PRE_COMMIT, "try-repo", str(ROOT), hook, "--all-files", "--color", "never"],
        check=False, cwd=root, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_validate_hook_passes_a_clean_repo_and_fails_a_broken_one(
    home: Path, tmp_path: Path
) -> None:
    root = _fleet(tmp_path)
    clean = _try(home, root, "eucora-validate")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "eucora validate" in clean.stdout and "Passed" in clean.stdout
    edit(root / "intents/7zip-24.08.yaml", "sizeBytes: 2377", "sizeBytes: 2400")
    broken = _try(home, root, "eucora-validate")
    assert broken.returncode == 1
    assert "Failed" in broken.stdout and "package-size-mismatch" in broken.stdout


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_policy_hook_runs_the_repos_policy_cases(home: Path, tmp_path: Path) -> None:
    root = _fleet(tmp_path)
    (root / "policies").mkdir()
    (root / "policies" / "README.md").write_text("the fleet's own policies\n")
    git.Repo(root).git.add("-A")
    result = _try(home, root, "eucora-policy-test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "eucora policy test" in result.stdout and "Passed" in result.stdout
