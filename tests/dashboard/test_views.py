"""What the pages compute from report documents: matrix cells, missing approvals, the CAB
queue's order."""

from __future__ import annotations

from typing import Any

from reconciler.dashboard import Fleet
from reconciler.dashboard._views import cells, missing_approvals, waiting_for_cab

RINGS = ("lab", "canary", "pilot", "broad", "global")


def report(name: str = "app-1.0", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": name, "state": "Holding", "ring": "canary", "until": "global",
                            "reason": "", "lastGate": None, "approvals": {}, "risk": {"score": 1}}  # fmt: skip
    return {**base, **fields}


def css(doc: dict[str, Any]) -> list[str]:
    return [c.css for c in cells(doc, RINGS)]


def test_cells_follow_the_state() -> None:
    gate = {"decision": "promotion", "ring": "pilot", "allow": False,
            "deny": [{"id": "soak-time", "msg": "12 h < 24 h"}]}  # fmt: skip
    assert css(report(lastGate=gate)) == ["reached", "current", "waiting", "pending", "pending"]
    gate["deny"] = [{"id": "cab-approval", "msg": "0 of 1"}, {"id": "soak-time", "msg": "x"}]
    held = cells(report(lastGate=gate), RINGS)[2]
    assert held.css == "held" and held.reason == "cab-approval: 0 of 1; soak-time: x"
    assert css(report(state="Blocked", ring="lab")) == ["blocked"] + ["pending"] * 4
    rolled = report(state="RolledBack", ring=None, reachedRings=["lab", "canary"])
    assert css(rolled) == ["rolled-back", "rolled-back", "pending", "pending", "pending"]
    assert css(report(state="Complete", ring="pilot", until="pilot"))[3:] == ["beyond", "beyond"]
    assert css(report(state="Suspended", ring="lab"))[0] == "suspended"
    # a gate that denies lab for an intent in no ring yet
    first = {"decision": "admission", "ring": "lab", "allow": False,
             "deny": [{"id": "open-incident", "msg": "P2"}]}  # fmt: skip
    assert css(report(state="NotStarted", ring=None, lastGate=first))[0] == "held"


def test_missing_approvals_and_commands() -> None:
    approvals = {"rings": ["pilot", "broad"], "approvedRings": ["pilot"], "required": 2,
                 "valid": 1, "roles": ["security"]}  # fmt: skip
    missing = missing_approvals(report(name="edr 7", approvals=approvals))
    assert missing is not None and missing.rings == ("broad",) and missing.approvals == 1
    assert missing.commands == ("eucora approve 'edr 7' --rings broad --role security",)
    approvals["approvedRings"] = ["pilot", "broad"]
    assert missing_approvals(report(approvals=approvals)) is None


def test_the_queue_puts_what_the_cab_gate_holds_first() -> None:
    need = {"rings": ["pilot"], "approvedRings": [], "required": 1, "valid": 0}
    cab = {"decision": "promotion", "ring": "pilot", "allow": False,
           "deny": [{"id": "cab-approval", "msg": "0 of 1"}]}  # fmt: skip
    fleet = Fleet("local", "t", "", "", RINGS, (
        report("a-early", approvals=need, ringEnteredAt="2026-11-01"),
        report("b-held", approvals=need, lastGate=cab, ringEnteredAt="2026-11-20"),
        report("c-none"),
    ))  # fmt: skip
    queue = waiting_for_cab([fleet])
    assert [e.intent["name"] for e in queue] == ["b-held", "a-early"]
    assert queue[0].held_by_cab and not queue[1].held_by_cab
