"""Idempotency under crashes and faults: any interrupted pass converges, with no duplicates."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconciler.domain.errors import TransientTenantError
from reconciler.engine import PassResult
from tests.engine._harness import CrashAfter, Harness, SimulatedCrash, harness, keep_only

INTENTS = ["7zip-24.08", "7zip-23.01", "chrome-131.0.6778"]


def tenant_state(h: Harness) -> dict[str, object]:
    """What the tenant holds per intent: object counts and assignments (ids aside)."""
    state: dict[str, object] = {}
    for name in INTENTS:
        apps = h.apps(name)
        state[name] = {
            "windows": len(apps["windows"]),
            "macos": len(apps["macos"]),
            "assignments": h.assignments(name) if apps["windows"] else [],
            "published": [a.get("publishingState") for a in apps["windows"]],
        }
    state["policies"] = sorted(p.name for p in h.sandbox.jamf.policies.values())
    return state


async def _reference(fleet: Path, tmp: Path) -> tuple[int, dict[str, object]]:
    async with harness(fleet, tmp, devices=(300, 100)) as h:
        result = await h.run()
        return result.writes, tenant_state(h)


async def test_a_crash_after_any_write_converges_without_duplicates(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, INTENTS)
    writes, expected = await _reference(fleet, tmp_path / "reference")
    assert writes >= 9
    for k in range(writes):
        async with harness(fleet, tmp_path / f"crash-{k}", devices=(300, 100)) as h:
            crash = CrashAfter(k)
            h.use(crash)
            with pytest.raises(SimulatedCrash):
                await h.run()
            assert crash.writes == k
            h.use(None)
            result: PassResult = await h.run()
            assert result.errors == [], f"k={k}: {result.errors}"
            assert tenant_state(h) == expected, f"crash after write {k}"
            again = await h.run()
            assert again.writes == 0, f"k={k}: {[a.describe() for a in again.plan.writes]}"


async def test_a_failed_pass_leaves_nothing_writing_behind_it(fleet: Path, tmp_path: Path) -> None:
    # chains of intents apply concurrently: when one fails, the others must be stopped before
    # the pass returns, or their writes land while the next pass plans (duplicates)
    keep_only(fleet, INTENTS)
    async with harness(fleet, tmp_path / "crash", devices=(300, 100)) as h:
        h.use(CrashAfter(2))
        with pytest.raises(SimulatedCrash):
            await h.run()
        when_it_failed = h.writes()
        for _ in range(20):
            await asyncio.sleep(0.05)
        assert h.writes() == when_it_failed


async def test_with_a_fifth_of_requests_failing_it_converges_in_bounded_passes(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, INTENTS)
    _, expected = await _reference(fleet, tmp_path / "reference")
    faults = "429@*:0.08,503@*:0.06,500@*:0.03,reset@*:0.03"
    async with harness(fleet, tmp_path / "faulty", faults=faults, devices=(300, 100)) as h:
        passes = 0
        while passes < 5 and not (await _pass_ok(h) and tenant_state(h) == expected):
            passes += 1
        assert tenant_state(h) == expected, f"not converged after {passes} passes"
        counters = h.sandbox.counters()
        injected = sum(counters["faultsInjected"].values())
        assert 0.1 < injected / counters["total"] < 0.3, counters["faultsInjected"]
        for _ in range(2):  # and stays converged: no duplicate from a lost answer
            await _pass_ok(h)
        assert tenant_state(h) == expected


async def _pass_ok(h: Harness) -> bool:
    """One pass; an observe that exhausted its retries fails the pass, and the next
    pass starts over, as the loop and the operator do."""
    try:
        return (await h.run()).ok
    except TransientTenantError:
        return False
