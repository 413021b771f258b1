"""Turns an engine's raw answer into a PolicyDecision — or into a fail-closed deny."""

from __future__ import annotations

from typing import Any

from reconciler.domain.ports import PolicyDecision, Violation

POLICY_ERROR = "policy-error"


def fail_closed(reason: str) -> PolicyDecision:
    """The decision when the engine could not decide: deny, saying why."""
    return PolicyDecision(allow=False, deny=(Violation(POLICY_ERROR, reason),))


def parse_decision(
    value: Any, package: str, waiting: frozenset[str] = frozenset()
) -> PolicyDecision:
    """Validates the shape ``{"allow": bool, "deny": [{id,msg}], "warn": [...]}``."""
    if not isinstance(value, dict):
        what = "undefined" if value is None else type(value).__name__
        return fail_closed(f"eucora.{package}.decision is {what}, not a decision object")
    allow = value.get("allow")
    if not isinstance(allow, bool):
        return fail_closed(f"eucora.{package}.decision.allow is not a boolean")
    lists: dict[str, tuple[Violation, ...]] = {}
    for key in ("deny", "warn"):
        items = value.get(key, [])
        if not isinstance(items, list) or not all(
            isinstance(v, dict) and isinstance(v.get("id"), str) and isinstance(v.get("msg"), str)
            for v in items
        ):
            return fail_closed(f"eucora.{package}.decision.{key} is not a list of {{id, msg}}")
        lists[key] = tuple(Violation(v["id"], v["msg"]) for v in items)
    if allow and lists["deny"]:
        return fail_closed(f"eucora.{package}.decision allows with deny entries")
    return PolicyDecision(allow=allow, deny=lists["deny"], warn=lists["warn"], waiting=waiting)
