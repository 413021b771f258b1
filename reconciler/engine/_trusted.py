"""Trust checks around a pass: revision descent, the trusted policy set, untrusted rules.

- A revision that does not descend from the last applied one (a force-push, a switched
  branch) is refused until its commit is acknowledged: history rewrites can otherwise
  undo a withdrawal or an incident in the reconciler's view without anyone noticing.
- The repo's ``policies/`` are a governed document: while a loosening change to them is
  pending, the trusted files are put back into the pass's exported tree before the policy
  engine is built from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from reconciler.domain.errors import SourceError
from reconciler.domain.governed import Resolution
from reconciler.domain.ports import PolicyEngine, Revision
from reconciler.gitops import is_ancestor

POLICY_DIR = "policies"


class UntrustedRevisionError(SourceError):
    """A revision the reconciler may not act on until someone acknowledges or approves."""

    reason = "Untrusted"
    transient = False


class PolicySource(Protocol):
    def for_tree(self, root: Path) -> PolicyEngine:
        """The policy engine for the fleet repo's files at ``root``."""
        ...


def check_descent(revision: Revision, last: str | None, acknowledged: set[str]) -> None:
    if not last or not revision.commit or last == revision.commit:
        return
    if revision.commit in acknowledged or is_ancestor(Path(revision.path), last, revision.commit):
        return
    raise UntrustedRevisionError(
        f"revision {revision.commit[:12]} does not descend from the last applied revision "
        f"{last[:12]} (history was rewritten?); review it, then acknowledge it with "
        f"--acknowledge-revision {revision.commit}"
    )


def read_policy_files(root: Path) -> dict[str, str] | None:
    directory = root / POLICY_DIR
    if not directory.is_dir():
        return None
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(directory.rglob("*.rego"))
        if path.is_file() and not path.is_symlink()
    }


def write_policy_files(root: Path, files: Mapping[str, str]) -> None:
    """Replace the tree's ``*.rego`` files by the trusted set (tests stay where they are)."""
    directory = root / POLICY_DIR
    if directory.is_dir():
        for path in directory.rglob("*.rego"):
            path.unlink()
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def untrusted_error(resolution: Resolution) -> UntrustedRevisionError:
    problems = "; ".join(
        f"{p.kind} {p.name}: {', '.join(p.loosenings)} — needs {p.needs}"
        for p in resolution.pending
        if p.kind in ("FleetConfig", "RiskModel")
    )
    return UntrustedRevisionError(f"no trusted FleetConfig and risk model to act on: {problems}")


__all__ = [
    "PolicySource",
    "UntrustedRevisionError",
    "check_descent",
    "read_policy_files",
    "untrusted_error",
    "write_policy_files",
]
