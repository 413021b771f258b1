"""Signed approvals and commits for ``eucora approve``.

The approval document carries a detached SSH signature over its own content, made with
the key git is configured to sign with (``user.signingkey``, ``gpg.format ssh``); the
commit is signed with the same key, for the record.
"""

from __future__ import annotations

from pathlib import Path

import git

from reconciler.domain.documents.digest import attested_payload
from reconciler.domain.documents.yamlsource import parse_yaml
from reconciler.domain.errors import SourceError
from reconciler.gitops._signing import sign_payload


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


def _signing_key(path: Path) -> str:
    repo = git.Repo(path, search_parent_directories=True)
    reader = repo.config_reader()
    key = str(reader.get_value("user", "signingkey", ""))
    if not key:
        raise SigningNotConfiguredError(
            "commit signing is not configured: set user.signingkey (and gpg.format=ssh for an "
            "SSH key), e.g. `git config user.signingkey ~/.ssh/id_ed25519.pub; "
            "git config gpg.format ssh`"
        )
    if str(reader.get_value("gpg", "format", "openpgp")) != "ssh":
        raise SigningNotConfiguredError(
            "approvals are signed with SSH keys: set `git config gpg.format ssh`"
        )
    return key.removeprefix("key::")


def signed_document(text: str, path: Path) -> str:
    """``text`` (one YAML document, no signature) signed with the repo's git signing key."""
    return sign_document(text, _signing_key(path))


def sign_document(text: str, key: str) -> str:
    """``text`` (one YAML document, no signature) with its eucora signature appended."""
    parsed = parse_yaml(text, "approval")
    if parsed.findings or len(parsed.documents) != 1:
        raise SourceError("the document to sign is not a single valid YAML document")
    signature = sign_payload(attested_payload(parsed.documents[0].data), key)
    block = "".join(f"  {line}\n" for line in signature.strip().splitlines())
    return text + "signature: |\n" + block


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
