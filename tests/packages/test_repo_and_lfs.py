"""Repo package files and Git LFS objects fetched with ``git lfs smudge`` (real git-lfs)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from reconciler.domain.errors import PackageError
from reconciler.domain.tenant import PackageRef
from reconciler.packages import ContentCache, PackageSources, git_lfs_available

INSTALLER = os.urandom(200_000)
SHA = hashlib.sha256(INSTALLER).hexdigest()


def git(cwd: Path, *args: str, **env: str) -> str:
    environment = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", **env}
    done = subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
        cwd=cwd, capture_output=True, text=True, check=True, env=environment,
    )  # fmt: skip
    return done.stdout


@pytest.fixture
def lfs_repos(tmp_path: Path) -> tuple[Path, Path]:
    """An origin holding the LFS object and a clone that only has the pointer."""
    if not git_lfs_available():  # a tool of the machine (Debian git-lfs), not an emulator
        pytest.skip("git-lfs is not installed")
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    git(origin, "lfs", "install", "--local")
    git(origin, "lfs", "track", "*.pkg")
    (origin / "packages").mkdir()
    (origin / "packages" / "app.pkg").write_bytes(INSTALLER)
    git(origin, "add", ".")
    git(origin, "commit", "-q", "-m", "installer")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", origin.as_uri(), str(clone), GIT_LFS_SKIP_SMUDGE="1")
    assert (clone / "packages" / "app.pkg").read_bytes().startswith(b"version https://git-lfs")
    return origin, clone


def store(tmp_path: Path, root: Path, checkout: Path | None) -> PackageSources:
    cache = ContentCache(tmp_path / "cache", attempts=2, max_wait=0.01)
    return PackageSources(root, checkout=checkout, cache=cache)


async def test_an_lfs_pointer_is_fetched_with_git_lfs_into_the_cache(
    tmp_path: Path, lfs_repos: tuple[Path, Path]
) -> None:
    _origin, clone = lfs_repos
    ref = PackageRef("packages/app.pkg", SHA, len(INSTALLER))
    path = await store(tmp_path, clone, clone).local_file(ref)
    assert path == tmp_path / "cache" / "sha256" / SHA
    assert path.read_bytes() == INSTALLER


async def test_an_lfs_object_absent_from_the_server_names_the_file(
    tmp_path: Path, lfs_repos: tuple[Path, Path]
) -> None:
    origin, clone = lfs_repos
    shutil.rmtree(origin / ".git" / "lfs" / "objects")
    ref = PackageRef("packages/app.pkg", SHA, len(INSTALLER))
    with pytest.raises(PackageError, match=r"'packages/app\.pkg'") as error:
        await store(tmp_path, clone, clone).local_file(ref)
    assert "LFS" in error.value.message
    assert not (tmp_path / "cache" / "sha256" / SHA).exists()


async def test_without_git_lfs_the_error_says_to_install_it(
    tmp_path: Path, lfs_repos: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _origin, clone = lfs_repos
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    monkeypatch.setenv("PATH", str(bare))
    ref = PackageRef("packages/app.pkg", SHA, len(INSTALLER))
    with pytest.raises(PackageError, match=r"'packages/app\.pkg' is a Git LFS pointer and git-lfs"):
        await store(tmp_path, clone, clone).local_file(ref)


async def test_a_pointer_that_disagrees_with_the_intent_is_refused(
    tmp_path: Path, lfs_repos: tuple[Path, Path]
) -> None:
    _origin, clone = lfs_repos
    other = hashlib.sha256(b"other").hexdigest()
    ref = PackageRef("packages/app.pkg", other, len(INSTALLER))
    with pytest.raises(PackageError, match=f"records sha256 {SHA}"):
        await store(tmp_path, clone, clone).local_file(ref)


async def test_a_repo_file_is_handed_out_in_place_after_its_pins_are_checked(
    tmp_path: Path,
) -> None:
    root = tmp_path / "tree"
    (root / "packages").mkdir(parents=True)
    (root / "packages" / "tool.pkg").write_bytes(INSTALLER)
    sources = store(tmp_path, root, None)
    path = await sources.local_file(PackageRef("packages/tool.pkg", SHA, len(INSTALLER)))
    assert path == (root / "packages" / "tool.pkg").resolve()
    with pytest.raises(PackageError, match="is 200000 bytes; the intent declares 5"):
        await sources.local_file(PackageRef("packages/tool.pkg", SHA, 5))
    with pytest.raises(PackageError, match="outside the package store"):
        await sources.local_file(PackageRef("../escape.pkg", None, None))
    with pytest.raises(PackageError, match="does not exist in the fleet repo"):
        await sources.local_file(PackageRef("packages/none.pkg", None, None))
