"""The fleet repo as a commit holds it: documents are read from the commit's tree.

``committed_tree`` exports the tree of a commit (blob by blob) into a private temporary
directory, so nothing in the work tree — an uncommitted edit, an untracked file, a file
swapped after checkout — reaches the loader. Symbolic links are exported as links (never
resolved), and the loader refuses them. A directory that is not in git is used as it is:
nothing in it can be proven, so no approval counts there.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import git

from reconciler.domain.errors import SourceError


@dataclass(frozen=True, slots=True)
class CommittedTree:
    """``root``: where to load documents from; ``fleet``: the fleet repo in its git work
    tree (for history); ``commit``: the commit read (empty outside git)."""

    root: Path
    fleet: Path
    commit: str


_INERT_TARGET = ".eucora-refused-symlink"
_SYMLINK_MODE = "120000"


def _export(repo: git.Repo, commit: str, prefix: str, target: Path) -> None:
    """Write every blob of ``commit`` under ``prefix`` to ``target``, byte for byte.

    Read with ``ls-tree`` and the object database rather than ``git archive``: archive
    honours the tree's own ``.gitattributes`` (``export-ignore`` would let a commit hide a
    withdrawal or an incident, ``export-subst`` rewrite content). Symbolic links become
    links that point nowhere, so the loader can name and refuse them; submodules are
    skipped."""
    args = ["-r", "-z", "--full-tree", commit]
    if prefix not in ("", "."):
        args += ["--", prefix]
    listing = str(repo.git.ls_tree(*args))
    for entry in listing.split("\0"):
        if not entry:
            continue
        meta, _, name = entry.partition("\t")
        mode, kind, sha = meta.split()
        parts = PurePosixPath(name).parts
        if kind != "blob" or not parts or ".." in parts or name.startswith("/"):
            continue
        path = target.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        if mode == _SYMLINK_MODE:
            path.symlink_to(_INERT_TARGET)
            continue
        path.write_bytes(repo.odb.stream(bytes.fromhex(sha)).read())


@contextmanager
def committed_tree(path: Path, commit: str = "") -> Iterator[CommittedTree]:
    """The fleet repo at ``path`` as ``commit`` (default HEAD) holds it."""
    fleet = Path(path).resolve()
    try:
        repo = git.Repo(fleet, search_parent_directories=True)
        commit = commit or repo.head.commit.hexsha
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        yield CommittedTree(fleet, fleet, "")
        return
    prefix = fleet.relative_to(Path(repo.working_dir).resolve()).as_posix()
    with tempfile.TemporaryDirectory(prefix="eucora-tree-") as target:
        try:
            _export(repo, commit, prefix, Path(target))
        except (git.GitCommandError, ValueError) as exc:
            detail = exc.stderr.strip()[:300] if isinstance(exc, git.GitCommandError) else exc
            raise SourceError(f"cannot read commit {commit[:12]}: {detail}") from exc
        root = Path(target) if prefix in ("", ".") else Path(target) / prefix
        root.mkdir(parents=True, exist_ok=True)
        yield CommittedTree(root, fleet, commit)
