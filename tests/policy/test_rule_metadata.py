"""What a rule means beyond allow or deny comes from its METADATA, never from Python lists.

``custom.waits: true`` marks a deny that only means "not yet"; the rules only
``eucora.cab`` has are the ones a hold waits on the CAB for. The conditions, the plan's
verdicts and the notices follow them, for a repo rule too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from reconciler.domain.conditions import intent_conditions
from reconciler.domain.errors import InvalidPolicyError
from reconciler.domain.ports import PolicyDecision, Violation
from reconciler.domain.progress import GateOutcome, IntentProgress, Progress
from reconciler.policy import EmbeddedEngine, cab_rules, load_policy_set, waiting_rules
from tests.conftest import ROOT

WAITING_RULE = """package eucora.custom.promotion
import rego.v1

# METADATA
# title: Change window opens at 18:00
# custom:
#   id: org-change-window
#   waits: true
deny contains {"id": "org-change-window", "msg": "waiting for 18:00"} if {
\tinput.now < 0
}
"""


def _held_by(rule: str, waiting: frozenset[str]) -> IntentProgress:
    decision = PolicyDecision(False, (Violation(rule, f"{rule}: held"),), waiting=waiting)
    gate = GateOutcome("promotion", "pilot", decision)
    return IntentProgress("7zip-24.08", Progress.HOLDING, "canary", "canary", None, "held", (gate,))


def _blocked(progress: IntentProgress) -> bool:
    conditions = intent_conditions(progress, (), [])
    return next(c for c in conditions if c.type == "Blocked").status


def test_the_flag_is_read_from_every_module(tmp_path: Path) -> None:
    (tmp_path / "window.rego").write_text(WAITING_RULE)
    policies = load_policy_set([tmp_path])
    assert "org-change-window" in policies.waiting_ids
    assert policies.waiting_ids - {"org-change-window"} == waiting_rules()
    assert not _blocked(_held_by("org-change-window", policies.waiting_ids))
    assert _blocked(_held_by("org-change-window", waiting_rules()))
    decision = EmbeddedEngine(policies).decide("promotion", {})
    assert decision.waiting == policies.waiting_ids


def test_built_in_flags_match_what_the_rules_say() -> None:
    """Every flagged rule describes a wait; the CAB rules are the quorum and the roles."""
    policies = load_policy_set()
    flagged = [r for r in policies.rules if r.waits]
    assert flagged and all(r.kind == "deny" and r.package == "eucora.promotion" for r in flagged)
    assert cab_rules() == {r.id for r in policies.rules if r.file == "cab/cab.rego"} - {
        "eucora.cab",
        "input-incomplete",
    }
    for rule in waiting_rules() | cab_rules():
        assert _blocked(_held_by(rule, waiting_rules())) is (rule not in waiting_rules())


@pytest.mark.parametrize(
    "flag", ["waits: yes please", "waits: 1"], ids=["not-a-boolean", "a-number"]
)
def test_a_malformed_flag_is_refused_naming_file_and_line(tmp_path: Path, flag: str) -> None:
    (tmp_path / "window.rego").write_text(WAITING_RULE.replace("waits: true", flag))
    with pytest.raises(InvalidPolicyError, match=r"window\.rego:4: METADATA custom\.waits"):
        load_policy_set([tmp_path])


def test_only_a_deny_can_wait(tmp_path: Path) -> None:
    (tmp_path / "window.rego").write_text(WAITING_RULE.replace("deny contains", "warn contains"))
    with pytest.raises(InvalidPolicyError, match="only a deny rule can wait"):
        load_policy_set([tmp_path])


def test_no_python_module_names_a_waiting_or_cab_rule() -> None:
    """The ids live in the policies: a string literal naming one in the reconciler's
    code would be a second truth (the demo's narration, which tells what it shows, aside)."""
    ids = waiting_rules() | cab_rules()
    found = []
    for path in sorted((ROOT / "reconciler").rglob("*.py")):
        if path.name in ("_demo.py", "demo.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in ids:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert found == []
