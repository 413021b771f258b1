"""Approval provenance from git: who added a file, with which verified signature.

Signatures are verified by git itself (``%G?``/``%GS``) against the signers file supplied
out of band (git's ``gpg.ssh.allowedSignersFile`` format), passed through git's
``GIT_CONFIG_*`` environment so that nothing in the repository's own config can change it.
Without a signers file every SSH signature is of an unknown key. GPG signatures verify
against the keyring of the process (``GNUPGHOME``); their principal is the e-mail of the
signing key's user id.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from functools import cache
from pathlib import Path

import git

from reconciler.domain.cab import DocumentProvenance
from reconciler.domain.errors import SourceError
from reconciler.domain.maturity import LevelChange
from reconciler.domain.yamlsource import parse_yaml

_EMAIL = re.compile(r"<([^>]+)>")
_SEP = "\x1f"


class GitProvenance:
    """Implements the domain's ``Provenance`` for a fleet repo inside a git work tree."""

    def __init__(self, fleet_root: Path, signers: Path | None) -> None:
        self.root = Path(fleet_root).resolve()
        try:
            self._repo = git.Repo(self.root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise SourceError(f"{fleet_root} is not inside a git repository") from exc
        signers_file = str(Path(signers).resolve()) if signers else os.devnull
        self._env = {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "gpg.ssh.allowedSignersFile",
            "GIT_CONFIG_VALUE_0": signers_file,
        }

    def _log(self, *args: str) -> str:
        with self._repo.git.custom_environment(**self._env):
            return str(self._repo.git.log(*args))

    def _pathspec(self, file: str) -> str:
        return str((self.root / file).relative_to(self._repo.working_dir))

    @cache  # noqa: B019 - one instance per pass; the cache dies with it
    def document(self, file: str) -> DocumentProvenance:
        fmt = _SEP.join(("%H", "%G?", "%GS", "%ae", "%cI"))
        out = self._log("--diff-filter=A", "-1", f"--format={fmt}", "--", self._pathspec(file))
        if not out.strip():
            return DocumentProvenance(file)
        commit, status, signer, author, when = out.strip().split(_SEP)
        principal = signer.strip() or None
        if principal and (match := _EMAIL.search(principal)):
            principal = match[1]
        return DocumentProvenance(
            file=file,
            commit=commit,
            signature=status,
            signer=principal if status == "G" else None,
            author=author,
            committed_at=datetime.fromisoformat(when),
        )

    @cache  # noqa: B019
    def last_author(self, file: str) -> str | None:
        out = self._log("-1", "--format=%ae", "--", self._pathspec(file)).strip()
        return out or None

    def level_change(self, file: str = "fleet.yaml") -> LevelChange | None:
        """The commit that set the FleetConfig's current ``spec.trustMaturity.level``:
        the oldest of the newest run of commits of ``file`` holding that level, with its
        signer when git verified its signature against the signers file."""
        fmt = _SEP.join(("%H", "%G?", "%GS", "%cI"))
        path = self._pathspec(file)
        out = self._log(f"--format={fmt}", "--", path).strip()
        change: tuple[str, str, str, str] | None = None
        current: int | None = None
        for line in out.splitlines():
            commit, status, signer, when = line.split(_SEP)
            level = self._level_at(commit, path)
            if current is None:
                current = level
            if level != current or level is None:
                break
            change = (commit, status, signer, when)
        if change is None or current is None:
            return None
        commit, status, signer, when = change
        principal = signer.strip() or None
        if principal and (match := _EMAIL.search(principal)):
            principal = match[1]
        return LevelChange(
            current, commit, datetime.fromisoformat(when), principal if status == "G" else None
        )

    def _level_at(self, commit: str, path: str) -> int | None:
        try:
            text = str(self._repo.git.show(f"{commit}:{path}"))
        except git.GitCommandError:
            return None
        # the loader's own parser: bounded, no alias bombs, findings instead of errors
        parsed = parse_yaml(text, path)
        if parsed.findings or len(parsed.documents) != 1:
            return None
        try:
            level = parsed.documents[0].data["spec"]["trustMaturity"]["level"]
        except (KeyError, TypeError):
            return None
        return level if isinstance(level, int) and not isinstance(level, bool) else None
