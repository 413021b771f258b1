"""Who changed an intent: the identities on every commit that changed its digest.

The domain's ``Provenance`` for a fleet repo in git. Separation of duties is judged on
these identities: for each commit reachable from the revision that touched the intent's
file or a file it references, the intent's digest after the commit is compared with its
digest in every parent; a commit that changed it contributes its author, its committer
and — when git verifies the commit signature against the out-of-band signers file — the
signing principal. Walking stops at the newest earlier version that an approval in the
tree attests (the last approved version). A shallow clone's boundary commit has no
parents, so it counts as having made the intent: fail closed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import git

from reconciler.domain.documents.digest import governed_digest, intent_digest
from reconciler.domain.documents.models import DeploymentIntent
from reconciler.domain.documents.yamlsource import parse_yaml
from reconciler.domain.errors import SourceError
from reconciler.domain.evaluation.governance import Change
from reconciler.domain.evaluation.maturity import LevelChange

_EMAIL = re.compile(r"<([^>]+)>")
_SEP = "\x1f"


class GitProvenance:
    """History facts of the fleet repo at ``fleet_root`` as of ``commit`` (default HEAD)."""

    def __init__(self, fleet_root: Path, signers: Path | None, commit: str = "") -> None:
        self.root = Path(fleet_root).resolve()
        try:
            self._repo = git.Repo(self.root, search_parent_directories=True)
            self.commit = commit or self._repo.head.commit.hexsha
        except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError) as exc:
            raise SourceError(f"{fleet_root} is not inside a git repository with commits") from exc
        self._prefix = self.root.relative_to(Path(self._repo.working_dir).resolve()).as_posix()
        signers_file = str(Path(signers).resolve()) if signers else os.devnull
        self._env = {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "gpg.ssh.allowedSignersFile",
            "GIT_CONFIG_VALUE_0": signers_file,
        }

    def _path(self, file: str) -> str:
        return file if self._prefix in ("", ".") else f"{self._prefix}/{file}"

    @cache  # noqa: B019 - one instance per revision; the cache dies with it
    def _blob(self, commit: str, file: str) -> bytes | None:
        try:
            data = self._repo.git.cat_file(
                "blob",
                f"{commit}:{self._path(file)}",
                stdout_as_string=False,
                strip_newline_in_stdout=False,
            )
        except git.GitCommandError:
            return None
        return bytes(data)

    def _digest_at(self, commit: str, intent: DeploymentIntent) -> str | None:
        raw = self._blob(commit, intent.source.file)
        if raw is None:
            return None
        parsed = parse_yaml(raw.decode("utf-8-sig", errors="replace"), intent.source.file)
        for document in parsed.documents:
            data = document.data
            if (
                isinstance(data, dict)
                and data.get("kind") == "DeploymentIntent"
                and isinstance(data.get("metadata"), dict)
                and data["metadata"].get("name") == intent.name
                and isinstance(data.get("spec"), dict)
            ):
                files = {f: self._blob(commit, f) for f in intent.files}
                return intent_digest(data["spec"], files)
        return None

    def version(
        self, file: str, kind: str, name: str, digests: frozenset[str]
    ) -> Mapping[str, Any] | None:
        for data in self.versions(file, kind, name):
            metadata, spec = data["metadata"], data["spec"]
            if governed_digest(kind, str(metadata.get("name")), spec) in digests:
                return data
        return None

    @cache  # noqa: B019
    def level_change(self, file: str = "fleet.yaml") -> LevelChange | None:
        """The commit that set the FleetConfig's current ``spec.trustMaturity.level``:
        the oldest of the newest run of commits of ``file`` holding that level, with its
        signer when git verified its signature against the signers file."""
        fmt = _SEP.join(("%H", "%G?", "%GS", "%cI"))
        with self._repo.git.custom_environment(**self._env):
            out = str(self._repo.git.log(f"--format={fmt}", self.commit, "--", self._path(file)))
        change: tuple[str, str, str, str] | None = None
        current: int | None = None
        for line in out.strip().splitlines():
            commit, status, signer, when = line.split(_SEP)
            level = self._level_at(commit, file)
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

    def _level_at(self, commit: str, file: str) -> int | None:
        raw = self._blob(commit, file)
        if raw is None:
            return None
        # the loader's own parser: bounded, no alias bombs, findings instead of errors
        parsed = parse_yaml(raw.decode("utf-8-sig", errors="replace"), file)
        if parsed.findings or len(parsed.documents) != 1:
            return None
        try:
            level = parsed.documents[0].data["spec"]["trustMaturity"]["level"]
        except (KeyError, TypeError):
            return None
        return level if isinstance(level, int) and not isinstance(level, bool) else None

    @cache  # noqa: B019
    def removed(self, kind: str) -> tuple[Mapping[str, Any], ...]:
        out = str(
            self._repo.git.log("--diff-filter=D", "--name-only", "--format=%x1e%H", self.commit)
        )
        found = []
        for entry in out.split("\x1e"):
            lines = [line for line in entry.splitlines() if line.strip()]
            if not lines:
                continue
            commit, paths = lines[0], lines[1:]
            for path in paths:
                if not path.endswith((".yaml", ".yml")):
                    continue
                try:
                    raw = self._repo.git.cat_file("blob", f"{commit}^:{path}")
                except git.GitCommandError:
                    continue
                for document in parse_yaml(str(raw), path).documents:
                    data = document.data
                    if (
                        isinstance(data, dict)
                        and data.get("kind") == kind
                        and isinstance(data.get("metadata"), dict)
                        and isinstance(data.get("spec"), dict)
                    ):
                        found.append(data)
        return tuple(found)

    @cache  # noqa: B019
    def policy_sets(self, directory: str) -> tuple[Mapping[str, str], ...]:
        out = str(self._repo.git.log("--format=%H", self.commit, "--", self._path(directory)))
        found = []
        for commit in out.split():
            listing = str(
                self._repo.git.ls_tree("-r", "-z", "--full-tree", commit, "--",
                                       self._path(directory))
            )  # fmt: skip
            files = {}
            for entry in listing.split("\0"):
                meta, _, name = entry.partition("\t")
                if not name.endswith(".rego") or meta.split()[1:2] != ["blob"]:
                    continue
                rel = name if self._prefix in ("", ".") else name.removeprefix(self._prefix + "/")
                raw = self._blob(commit, rel)
                if raw is not None:
                    files[rel] = raw.decode("utf-8", errors="replace")
            found.append(files)
        return tuple(found)

    @cache  # noqa: B019
    def versions(self, file: str, kind: str, name: str) -> tuple[Mapping[str, Any], ...]:
        out = str(self._repo.git.log("--format=%H", self.commit, "--", self._path(file)))
        found = []
        for commit in out.split():
            raw = self._blob(commit, file)
            if raw is None:
                continue
            for document in parse_yaml(raw.decode("utf-8-sig", errors="replace"), file).documents:
                data = document.data
                if not (isinstance(data, dict) and data.get("kind") == kind):
                    continue
                metadata, spec = data.get("metadata"), data.get("spec")
                if not isinstance(metadata, dict) or not isinstance(spec, dict):
                    continue
                if kind == "FleetConfig" or metadata.get("name") == name:
                    found.append(data)
        return tuple(found)

    def changes(self, intent: DeploymentIntent, stop: frozenset[str]) -> tuple[Change, ...]:
        paths = [intent.source.file, *intent.files]
        return self._walk(paths, lambda c: self._digest_at(c, intent), intent.digest, stop)

    def document_changes(
        self, file: str, kind: str, name: str, current: str, stop: frozenset[str]
    ) -> tuple[Change, ...]:
        return self._walk([file], lambda c: self._governed_at(c, file, kind, name), current, stop)

    def _governed_at(self, commit: str, file: str, kind: str, name: str) -> str | None:
        raw = self._blob(commit, file)
        if raw is None:
            return None
        for document in parse_yaml(raw.decode("utf-8-sig", errors="replace"), file).documents:
            data = document.data
            if isinstance(data, dict) and data.get("kind") == kind:
                metadata, spec = data.get("metadata"), data.get("spec")
                named = isinstance(metadata, dict) and (
                    kind == "FleetConfig" or metadata.get("name") == name
                )
                if named and isinstance(metadata, dict) and isinstance(spec, dict):
                    return governed_digest(kind, str(metadata.get("name")), spec)
        return None

    def _walk(
        self,
        files: list[str],
        digest_at: Callable[[str], str | None],
        current: str,
        stop: frozenset[str],
    ) -> tuple[Change, ...]:
        fmt = _SEP.join(("%H", "%P", "%G?", "%GS", "%ae", "%ce"))
        paths = [self._path(f) for f in files]
        with self._repo.git.custom_environment(**self._env):
            out = str(self._repo.git.log(f"--format={fmt}", self.commit, "--", *paths))
        result = []
        for line in out.splitlines():
            commit, parents, status, signer, author, committer = line.split(_SEP)
            after = digest_at(commit)
            before = {digest_at(p) for p in parents.split()}
            if after in before:
                continue  # touched the files but not the digest (layout, comments)
            if after is not None and after in stop and after != current:
                break  # an approved earlier version: what came before was reviewed
            identities = {author.lower(), committer.lower()}
            match = _EMAIL.search(signer)
            principal = (match[1] if match else signer).strip()
            if status in ("G", "U", "X", "Y", "R") and principal:
                identities.add(principal.lower())
            result.append(
                Change(commit, frozenset(i for i in identities if i), status == "G", not parents)
            )
        return tuple(result)
