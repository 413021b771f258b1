"""Composition root, policy engine: the built-in policies plus a revision's own.

The engine asks a :class:`~reconciler.engine.PolicySource` for the policy engine of each
pass's exported tree; :class:`RevisionPolicies` is that source for the CLI and the
operator: embedded (regopy) or an OPA server, rebuilt only when the policy files change.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.domain.ports import PolicyEngine, Revision
from reconciler.policy import EmbeddedEngine, OpaServerEngine, load_policy_set


class RevisionPolicies:
    """The policy engine for a revision: built-ins plus the repo's ``policies/``, rebuilt
    only when those files change."""

    def __init__(self, opa_url: str) -> None:
        self.opa_url = opa_url
        self._fingerprint = ""
        self._engine: PolicyEngine | None = None

    def for_revision(self, revision: Revision) -> PolicyEngine:
        return self.for_tree(Path(revision.path))

    def for_tree(self, root: Path) -> PolicyEngine:
        """Built-ins plus ``root/policies`` (the pass's committed tree)."""
        extra = root / "policies"
        policies = load_policy_set([extra] if extra.is_dir() else [])
        if self._engine is None or policies.fingerprint != self._fingerprint:
            self._fingerprint = policies.fingerprint
            self._engine = (
                OpaServerEngine(self.opa_url, policies=policies, push=True)
                if self.opa_url
                else EmbeddedEngine(policies)
            )
        return self._engine
