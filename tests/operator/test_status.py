"""An intent's status from a pass, its Events, and the engine's record read back from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reconciler.domain.errors import ConfigurationError, SourceError
from reconciler.domain.gates.progress import StoredRing
from reconciler.domain.inputs.rollback import RollbackEvidence
from reconciler.engine import IntentState, MemoryStateStore, PassResult, intent_events
from reconciler.operator._status import (
    PassInfo,
    _state_fields,
    drop_unchanged,
    failed_status,
    intent_status,
    merge_conditions,
    state_from_status,
    unchanged,
)
from tests.engine._harness import Harness, example_git, harness, keep_only

T0 = datetime(2026, 11, 20, 8, tzinfo=UTC)
ZIP = "7zip-23.01"


def test_a_condition_keeps_its_transition_time_until_its_status_flips() -> None:
    first = merge_conditions(
        [], [{"type": "Ready", "status": "False", "reason": "Holding", "message": "a"}],
        generation=1, now=T0,
    )  # fmt: skip
    later = T0 + timedelta(hours=1)
    same = merge_conditions(
        first, [{"type": "Ready", "status": "False", "reason": "Holding", "message": "b"}],
        generation=2, now=later,
    )  # fmt: skip
    assert same[0]["lastTransitionTime"] == "2026-11-20T08:00:00Z"
    assert (same[0]["message"], same[0]["observedGeneration"]) == ("b", 2)
    flipped = merge_conditions(
        same, [{"type": "Ready", "status": "True", "reason": "Complete", "message": ""}],
        generation=2, now=later,
    )  # fmt: skip
    assert flipped[0]["lastTransitionTime"] == "2026-11-20T09:00:00Z"


def test_the_newer_record_wins_when_restored() -> None:
    store = MemoryStateStore()
    store.save_ring(ZIP, StoredRing("canary", T0), state="Holding", reason="", now=T0)
    older = IntentState(StoredRing("lab", T0), as_of=T0 - timedelta(hours=1))
    assert not store.restore(ZIP, older)
    assert store.ring(ZIP).ring == "canary"
    newer = IntentState(StoredRing("pilot", T0), as_of=T0 + timedelta(hours=1))
    assert store.restore(ZIP, newer)
    assert store.ring(ZIP).ring == "pilot"
    assert store.restore("fresh", IntentState(StoredRing(None)))


def test_a_recorded_rollback_survives_the_status_round_trip() -> None:
    store = MemoryStateStore()
    store.save_ring(ZIP, StoredRing("canary", T0), state="Holding", reason="", now=T0)
    evidence = RollbackEvidence("sha256:" + "b" * 64, ZIP, "lab", 3, T0 + timedelta(hours=2))
    store.save_rollback_evidence(evidence)
    assert store.rollback_evidence(evidence.build) == evidence
    held = store.export(ZIP)
    assert held is not None
    status = {"currentRing": "canary", **_state_fields(held)}
    assert status["rollbackValidated"]["devices"] == 3
    record = state_from_status(status)
    assert record is not None and record.rollback == evidence
    # a new replica reads it back: the build stays validated, no new drill or hold
    fresh = MemoryStateStore()
    assert fresh.rollback_evidence(evidence.build) is None
    assert fresh.restore(ZIP, record)
    assert fresh.rollback_evidence(evidence.build) == evidence
    # later saves of the intent keep it
    fresh.save_ring(ZIP, StoredRing("pilot", T0), state="Progressing", reason="", now=T0)
    assert fresh.rollback_evidence(evidence.build) == evidence


def test_a_failed_pass_is_stalled_only_when_retrying_cannot_help() -> None:
    run = PassInfo("p1", T0, "abc")
    permanent = failed_status(ConfigurationError("no tenant"), run, {}, generation=1, now=T0)
    by_type = {c["type"]: c for c in permanent["conditions"]}
    assert (by_type["Ready"]["status"], by_type["Ready"]["reason"]) == (
        "False", "InvalidConfiguration",
    )  # fmt: skip
    assert by_type["Stalled"]["status"] == "True"
    assert permanent["lastPass"]["id"] == "p1"  # reported once, not on every tick
    transient = failed_status(SourceError("git down"), run, {}, generation=1, now=T0)
    stalled = next(c for c in transient["conditions"] if c["type"] == "Stalled")
    assert (stalled["status"], stalled["reason"]) == ("False", "Retrying")


async def _statuses(
    h: Harness, store: MemoryStateStore, previous: dict[str, dict[str, object]]
) -> tuple[PassResult, dict[str, dict[str, object]], dict[str, list[str]]]:
    """One pass; each intent's new status (merged as a merge patch would) and Events."""
    result = await h.run()
    statuses, events = {}, {}
    for report in result.intents:
        before = previous.get(report.name, {})
        update = intent_status(
            report, store.export(report.name), PassInfo(result.revision[:8], result.at,
            result.revision), before, generation=1, now=result.at,
        )  # fmt: skip
        statuses[report.name] = {**before, **update}
        events[report.name] = [e.reason for e in intent_events(report, before, update)]
    return result, statuses, events


async def test_the_status_round_trip_lets_a_fresh_engine_carry_on(tmp_path: Path) -> None:
    repo = example_git(tmp_path / "built", tmp_path / "fleet")
    keep_only(repo, [ZIP])
    async with harness(repo, tmp_path / "state") as h:
        store = MemoryStateStore()
        h.reconciler.store = store
        statuses: dict[str, dict[str, object]] = {}
        seen: list[list[str]] = []
        for step in range(7):
            if 0 < step < 6:  # the last pass sees the same clock as the one before
                h.sandbox.advance(hours=30)
            _, statuses, events = await _statuses(h, store, statuses)
            seen.append(events[ZIP])
        status = statuses[ZIP]
        assert status["currentRing"] == "pilot"
        # a hold is told once per ring and set of denying rules, not on every pass: 30 h
        # into pilot soak and time to compliance hold it, at 60 h only the soak
        assert seen == [["Promoted"], ["Promoted"], ["PromotionHeld"], ["Promoted"],
                        ["PromotionHeld"], ["PromotionHeld"], []], seen  # fmt: skip
        assert [h_["ring"] for h_ in status["ringHistory"]] == ["lab", "canary", "pilot"]
        # time to compliance of the ring it was gated in, per connectivity class
        compliance = status["timeToCompliance"]
        assert compliance["ring"] == "pilot" and 0 <= compliance["percent"] <= 100
        assert compliance["targeted"] == (
            compliance["compliant"] + compliance["open"] + compliance["missed"]
        )
        assert set(compliance["classes"]) == {"online", "intermittent", "airGapped"}
        assert compliance["classes"]["airGapped"].endswith("within 168h")

        # a new process: nothing in memory, the status is all it has
        fresh = MemoryStateStore()
        record = state_from_status(status)
        held = store.export(ZIP)
        assert record is not None and held is not None
        assert (record.ring, record.applied, record.as_of) == (held.ring, held.applied, held.as_of)
        assert [(e.ring, e.entered_at) for e in record.history] == [
            (e.ring, e.entered_at) for e in held.history
        ]
        assert fresh.restore(ZIP, record)
        h.reconciler.store = fresh
        writes = h.writes()
        result, after, events = await _statuses(h, fresh, statuses)
        report = result.report(ZIP)
        assert report.ring == "pilot" and not report.drift
        assert h.writes() == writes  # its own earlier writes are not drift
        assert events[ZIP] == []  # nothing changed: no Events
        assert after[ZIP]["ringHistory"] == status["ringHistory"]


def test_an_unreadable_record_is_no_record() -> None:
    assert state_from_status({}) is None
    assert state_from_status({"stateAsOf": "2026-11-20T08:00:00Z", "ringHistory": [{}]}) is None
    record = state_from_status(
        {"stateAsOf": "2026-11-20T08:00:00Z", "currentRing": "lab",
         "ringEnteredAt": "2026-11-20T08:00:00Z", "reachedRings": ["lab"]}
    )  # fmt: skip
    assert record is not None
    assert record.ring == StoredRing("lab", T0, None, ("lab",))


def test_a_source_patch_leaves_out_what_its_status_holds_already() -> None:
    status = {
        "intents": {"total": 2, "Complete": 2},
        "conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled"}],
        "lastFetchedRevision": "abc",
    }
    quiet: dict[str, Any] = {
        "intents": {"total": 2, "Complete": 2, "Holding": None},
        "conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled"}],
    }
    drop_unchanged(quiet, status)
    assert quiet == {}  # nothing to send
    moved: dict[str, Any] = {
        "intents": {"total": 2, "Complete": 1, "Holding": 1},
        "lastFetchedRevision": "abc",
    }
    drop_unchanged(moved, status)
    assert moved == {"intents": {"total": 2, "Complete": 1, "Holding": 1}}


def test_a_null_that_removes_an_absent_field_is_no_change() -> None:
    previous = {"telemetry": {"installed": 0}, "lastGate": {"allow": True}}
    assert unchanged({"telemetry": {"installed": 0, "ring": None}, "ringEnteredAt": None}, previous)
    assert not unchanged({"telemetry": {"installed": 1, "ring": None}}, previous)
    assert not unchanged({"lastGate": None}, previous)  # removes a field that is there


async def test_a_patched_status_ring_does_not_put_an_unapproved_intent_on_cab_rings(
    tmp_path: Path,
) -> None:
    """Whoever may patch a DeploymentIntent's status cannot promote it: the engine reads
    the ring from the status, but re-checks the CAB approvals before any assignment."""
    vpn = "globalprotect-6.3.2"
    repo = example_git(tmp_path / "built", tmp_path / "fleet")
    keep_only(repo, [vpn])
    async with harness(repo, tmp_path / "state") as h:
        store = MemoryStateStore()
        h.reconciler.store = store
        _, statuses, _ = await _statuses(h, store, {})
        patched = {
            **statuses[vpn],
            "currentRing": "global",
            "ringEnteredAt": "2026-11-01T00:00:00Z",
            "reachedRings": ["lab", "canary", "pilot", "broad", "global"],
        }
        record = state_from_status(patched)
        assert record is not None and record.ring.ring == "global"
        fresh = MemoryStateStore()
        assert fresh.restore(vpn, record)
        h.reconciler.store = fresh
        result, _, _ = await _statuses(h, fresh, patched)
        report = result.report(vpn)
        assert report.ring == "canary" and "no valid CAB approval for pilot" in report.reason
        groups = {g for _, g in h.assignments(vpn)}
        assert not groups & {f"3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b0{i}" for i in (3, 4, 5)}
