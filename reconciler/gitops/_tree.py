"""The fleet repo as a commit holds it: documents are read from the commit's tree.

``committed_tree`` exports the tree of a commit (``git archive``) into a private temporary
directory, so nothing in the work tree — an uncommitted edit, an untracked file, a file
swapped after checkout — reaches the loader. Symbolic links are exported as links (never
resolved), and the loader refuses them. A directory that is not in git is used as it is:
nothing in it can be proven, so no approval counts there.
"""

from __future__ import annotations

import copy
import io
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import git

from reconciler.domain.errors import SourceError


@dataclass(frozen=True, slots=True)
class CommittedTree:
    """``root``: where to load documents from; ``fleet``: the fleet repo in its git work
    tree (for history); ``commit``: the commit read (empty outside git)."""

    root: Path
    fleet: Path
    commit: str


def _keep_links_inert(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """A symbolic link stays a link (so the loader can name and refuse it) but points
    nowhere, whatever target the commit gave it."""
    if member.issym() or member.islnk():
        member = copy.copy(member)
        member.type, member.linkname = tarfile.SYMTYPE, _INERT_TARGET
    return tarfile.data_filter(member, dest)


_INERT_TARGET = ".eucora-refused-symlink"


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
        args = [commit] if prefix in ("", ".") else [commit, "--", prefix]
        try:
            data = repo.git.archive("--format=tar", *args, stdout_as_string=False)
        except git.GitCommandError as exc:
            raise SourceError(
                f"cannot read commit {commit[:12]}: {exc.stderr.strip()[:300]}"
            ) from exc
        with tarfile.open(fileobj=io.BytesIO(bytes(data))) as archive:
            archive.extractall(target, filter=_keep_links_inert)  # noqa: S202 - filtered
        root = Path(target) if prefix in ("", ".") else Path(target) / prefix
        root.mkdir(parents=True, exist_ok=True)
        yield CommittedTree(root, fleet, commit)
