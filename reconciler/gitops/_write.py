"""Signed commits for ``eucora approve``."""

from __future__ import annotations

from pathlib import Path

import git

from reconciler.domain.errors import SourceError


class SigningNotConfiguredError(SourceError):
    reason = "SigningNotConfigured"
    transient = False


def identity(path: Path) -> tuple[str, str]:
    """(name, email) from git config of the repo at ``path``."""
    repo = git.Repo(path, search_parent_directories=True)
    reader = repo.config_reader()
    email = str(reader.get_value("user", "email", ""))
    name = str(reader.get_value("user", "name", ""))
    if not email:
        raise SourceError("git config user.email is not set; it names the approver")
    return name, email


def commit_signed(path: Path, files: list[Path], message: str) -> str:
    """Commit ``files`` with ``git commit -S``; returns the commit id."""
    repo = git.Repo(path, search_parent_directories=True)
    reader = repo.config_reader()
    if not reader.get_value("user", "signingkey", ""):
        raise SigningNotConfiguredError(
            "commit signing is not configured: set user.signingkey (and gpg.format=ssh for an "
            "SSH key), e.g. `git config user.signingkey ~/.ssh/id_ed25519.pub; "
            "git config gpg.format ssh`"
        )
    relative = [str(f.resolve().relative_to(repo.working_dir)) for f in files]
    try:
        repo.git.add("--", *relative)
        repo.git.commit("-S", "-m", message, "--", *relative)
    except git.GitCommandError as exc:
        raise SigningNotConfiguredError(
            f"signed commit failed: {exc.stderr.strip()[:500]}"
        ) from exc
    return str(repo.head.commit.hexsha)
