"""Policy engines implementing the PolicyEngine port: embedded (regopy) and OPA server.

Public API: :func:`load_policy_set`, :class:`EmbeddedEngine`, :class:`OpaServerEngine`,
:func:`load_cases` / :func:`run_cases` (policy tests as data), :func:`render_policy_readme`
and :func:`waiting_rules` / :func:`cab_rules` (the deny ids that only wait, and those that
wait for the CAB). Both engines fail closed: anything
but a well-formed decision is a deny with id ``policy-error``.
"""

from reconciler.policy._cases import CaseResult, PolicyCase, exercised_ids, load_cases, run_cases
from reconciler.policy._decision import POLICY_ERROR, fail_closed
from reconciler.policy._docs import render_policy_readme
from reconciler.policy._embedded import EmbeddedEngine
from reconciler.policy._opa import OpaServerEngine
from reconciler.policy._policyset import (
    DECISIONS,
    EXTENSIBLE,
    PolicySet,
    RuleInfo,
    builtin_dir,
    cab_rules,
    load_policy_set,
    waiting_rules,
)

__all__ = [
    "DECISIONS",
    "EXTENSIBLE",
    "POLICY_ERROR",
    "CaseResult",
    "EmbeddedEngine",
    "OpaServerEngine",
    "PolicyCase",
    "PolicySet",
    "RuleInfo",
    "builtin_dir",
    "cab_rules",
    "exercised_ids",
    "fail_closed",
    "load_cases",
    "load_policy_set",
    "render_policy_readme",
    "run_cases",
    "waiting_rules",
]
