"""Fetching fleet repos with git, safely.

URLs and refs that look like options (``--upload-pack=…``) or use dangerous transports
(``ext::``, ``fd::``) are refused before git sees them; gitpython's own unsafe-option and
unsafe-protocol guards stay on as a second line.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import git

from reconciler.domain.errors import ConfigurationError, SourceError
from reconciler.domain.ports import Revision

_SAFE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_UNSAFE_TRANSPORTS = ("ext::", "fd::")


class UnsafeSourceError(SourceError):
    """A URL or ref that must not reach git; retrying cannot help."""

    reason = "UnsafeSource"
    transient = False


def check_url(url: str) -> str:
    if not url or url.startswith("-") or any(c.isspace() for c in url):
        raise UnsafeSourceError(f"refusing git URL {url!r}: looks like an option or has spaces")
    if url.lower().startswith(_UNSAFE_TRANSPORTS) or "::" in url.split("/", 1)[0]:
        raise UnsafeSourceError(f"refusing git URL {url!r}: transport helpers are not allowed")
    return url


def check_ref(ref: str) -> str:
    if not _SAFE_REF.match(ref) or ".." in ref or ref.endswith((".lock", "/")):
        raise UnsafeSourceError(f"refusing git ref {ref!r}")
    return ref


def open_local(path: Path) -> Revision:
    """A local working tree as it is (HEAD commit)."""
    try:
        repo = git.Repo(path, search_parent_directories=True)
        commit = repo.head.commit.hexsha
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError) as exc:
        raise SourceError(f"{path} is not a git repository with commits: {exc}") from exc
    return Revision(str(path), commit, repo.active_branch.name if not repo.head.is_detached else "")


@dataclass(frozen=True, slots=True)
class GitCredentials:
    """How to authenticate to a remote: HTTPS basic (a token is a password) or an SSH key.

    Handed to git only through the environment of the one command that needs it, so
    nothing lands in the clone's ``.git/config``, the remote URL or a log line. Key files
    are paths the caller keeps private (mode 0600) and removes.
    """

    username: str = ""
    password: str = field(default="", repr=False)
    ssh_key_file: Path | None = None
    known_hosts_file: Path | None = None

    def environment(self, url: str) -> dict[str, str]:
        env = {"GIT_TERMINAL_PROMPT": "0"}
        if self.password:
            # An extra header scoped to this remote's origin: git sends it only there.
            origin = re.match(r"^(https?://[^/]+)", url)
            if origin is None:
                raise UnsafeSourceError("username/password credentials need an https:// URL")
            basic = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            env |= {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": f"http.{origin.group(1)}/.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
            }
        if self.ssh_key_file is not None:
            ssh = ["ssh", "-i", str(self.ssh_key_file), "-o", "IdentitiesOnly=yes"]
            if self.known_hosts_file is not None:
                ssh += ["-o", f"UserKnownHostsFile={self.known_hosts_file}"]
                ssh += ["-o", "StrictHostKeyChecking=yes"]
            env["GIT_SSH_COMMAND"] = shlex.join(ssh)
        return env


def fetch(url: str, ref: str, cache: Path, credentials: GitCredentials | None = None) -> Revision:
    """Clone or update ``url`` under ``cache`` and check out ``ref`` (branch, tag or commit)."""
    check_url(url)
    check_ref(ref)
    env = (credentials or GitCredentials()).environment(url)
    target = cache / hashlib.sha256(url.encode()).hexdigest()[:16]
    try:
        if (target / ".git").is_dir():
            repo = git.Repo(target)
            with repo.git.custom_environment(**env):
                repo.git.fetch(
                    "--prune", "--tags", "origin", "--", "+refs/heads/*:refs/remotes/origin/*"
                )
        else:
            cache.mkdir(parents=True, exist_ok=True)
            repo = git.Repo.clone_from(url, target, env=env, no_checkout=True)
        commit = _resolve(repo, ref)
        repo.git.checkout("--force", "--detach", commit)
    except git.GitCommandError as exc:
        raise SourceError(
            f"git could not fetch {url} at {ref}: {exc.stderr.strip()[:500]}"
        ) from exc
    return Revision(str(target), commit, ref)


def _resolve(repo: git.Repo, ref: str) -> str:
    for candidate in (f"refs/remotes/origin/{ref}", f"refs/tags/{ref}", ref):
        try:
            return str(repo.git.rev_parse("--verify", "--quiet", f"{candidate}^{{commit}}"))
        except git.GitCommandError:
            continue
    raise SourceError(f"ref {ref!r} not found")


#: a base for a diff may use revision syntax (``HEAD~1``, ``origin/main^``) but never an option
_BASE_REF = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/~^@{}-]*$")


def changed_files(path: Path, base: str) -> list[str]:
    """Files under ``path`` changed between ``base`` and the working tree (a PR's diff),
    relative to ``path``."""
    if not _BASE_REF.match(base):
        raise UnsafeSourceError(f"refusing base revision {base!r}")
    try:
        repo = git.Repo(path, search_parent_directories=True)
        root = Path(repo.working_dir).resolve()
        merge_base = repo.git.merge_base(base, "HEAD")
        names = repo.git.diff("--name-only", merge_base, "--", str(Path(path).resolve()))
        untracked = repo.git.ls_files(
            "--others", "--exclude-standard", "--", str(Path(path).resolve())
        )
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise SourceError(f"{path} is not a git repository: {exc}") from exc
    except git.GitCommandError as exc:
        if is_shallow(path):
            raise ConfigurationError(
                f"cannot compare with {base!r}: this is a shallow clone, so the base commit and "
                "the merge base are missing. Check out the full history: GitHub actions/checkout "
                "with `fetch-depth: 0`, GitLab CI `GIT_DEPTH: 0` (or `git fetch --unshallow`)"
            ) from exc
        raise SourceError(f"git cannot compare with {base!r}: {exc.stderr.strip()[:300]}") from exc
    fleet = Path(path).resolve()
    result = []
    for name in [*names.splitlines(), *untracked.splitlines()]:
        full = root / name if not Path(name).is_absolute() else Path(name)
        try:
            result.append(full.resolve().relative_to(fleet).as_posix())
        except ValueError:
            continue
    return sorted(set(result))


def is_shallow(path: Path) -> bool:
    """Whether ``path`` is inside a shallow clone (history cut off, as CI checks out by
    default): approvals' commits and a PR's base may be missing."""
    try:
        repo = git.Repo(path, search_parent_directories=True)
        return bool(repo.git.rev_parse("--is-shallow-repository") == "true")
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError):
        return False


def is_ancestor(path: Path, ancestor: str, commit: str) -> bool:
    """Does ``commit`` descend from ``ancestor``? (False when either is unknown: a rewritten
    history may have dropped it.)"""
    if not re.fullmatch(r"[0-9a-f]{7,64}", ancestor) or not re.fullmatch(r"[0-9a-f]{7,64}", commit):
        return False
    try:
        repo = git.Repo(path, search_parent_directories=True)
        repo.git.merge_base("--is-ancestor", ancestor, commit)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError):
        return False
    return True
