"""Policy engines implementing the PolicyEngine port: embedded (regopy) and OPA server.

Public API: :func:`load_policy_set`, :class:`EmbeddedEngine`, :class:`OpaServerEngine`,
:func:`load_cases` / :func:`run_cases` (policy tests as data) and
:func:`render_policy_readme`. Both engines fail closed: anything but a well-formed decision
is a deny with id ``policy-error``.
"""

from reconciler.policy._cases import CaseResult, PolicyCase, exercised_ids, load_cases, run_cases
from reconciler.policy._decision import POLICY_ERROR, fail_closed
from reconciler.policy._docs import render_policy_readme
from reconciler.policy._embedded import EmbeddedEngine
from reconciler.policy._opa import OpaServerEngine
from reconciler.policy._policyset import (
    DECISIONS,
    PolicySet,
    RuleInfo,
    builtin_dir,
    load_policy_set,
)

__all__ = [
    "DECISIONS",
    "POLICY_ERROR",
    "CaseResult",
    "EmbeddedEngine",
    "OpaServerEngine",
    "PolicyCase",
    "PolicySet",
    "RuleInfo",
    "builtin_dir",
    "exercised_ids",
    "fail_closed",
    "load_cases",
    "load_policy_set",
    "render_policy_readme",
    "run_cases",
]
