"""The time-to-compliance and rollback-validated gates end to end, on the simulated clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from reconciler.domain.documents.loader import load_repo
from reconciler.domain.gates.progress import Progress
from reconciler.domain.inputs.rollback import build_key
from tests.engine._harness import edit, harness, keep_only

ZIP = "7zip-24.08"
LAB, CANARY, PILOT = (f"3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b0{i}" for i in (1, 2, 3))


def _first_version(fleet: Path) -> None:
    """7-Zip 24.08 on its own, superseding nothing."""
    keep_only(fleet, [ZIP])
    edit(fleet, f"intents/{ZIP}.yaml", "    supersedes: 7zip-23.01\n", "")


def _rolling_back(fleet: Path, extra: str = "") -> None:
    """The first version with ``onFailure: rollback`` (and ``extra`` rollout lines)."""
    _first_version(fleet)
    rollout = "driftPolicy: correct\n    onFailure: rollback" + extra
    edit(fleet, f"intents/{ZIP}.yaml", "driftPolicy: correct", rollout)


async def test_an_air_gapped_heavy_ring_waits_then_passes_within_seven_days(
    fleet: Path, tmp_path: Path
) -> None:
    _first_version(fleet)
    # the lab is mostly machines that reach the network every 4 to 6.5 days
    async with harness(fleet, tmp_path, connectivity={"lab": (0.1, 0.1, 0.8)}) as h:
        first = await h.run()
        entered = first.at
        assert first.report(ZIP).ring == "lab"
        waited, passed_at, states = [], None, []
        while h.sandbox.now() - entered <= timedelta(days=7):
            h.sandbox.advance(hours=12)
            result = await h.run()
            report = result.report(ZIP)
            gate = report.last_gate
            denies = {v.id for v in gate.result.deny} if gate else set()
            assert "time-to-compliance" not in denies  # never closed short
            states.append((report.ring, sorted(denies)))
            if "time-to-compliance-pending" in denies:
                waited.append(report.compliance)
                assert report.condition("Blocked").status is False  # type: ignore[union-attr]
            if report.ring == "canary":
                passed_at = result.at
                break
        assert waited, states  # soak and sample were met long before the air-gapped devices
        held = waited[-1]
        assert held is not None and held.ring == "lab"
        classes = {c.connectivity.value: c for c in held.classes}
        assert set(classes) == {"online", "intermittent", "airGapped"}
        assert classes["airGapped"].targeted > 3 * classes["online"].targeted
        assert classes["airGapped"].open > 0 and classes["airGapped"].missed == 0
        assert passed_at is not None and passed_at - entered <= timedelta(days=7), states
        # the promotion's report carries the counts it used, for plan and status
        promoted = result.report(ZIP).to_dict()["timeToCompliance"]
        assert promoted["ring"] == "lab" and promoted["share"] >= 0.80
        assert promoted["classes"]["airGapped"]["compliant"] > 0


async def test_a_build_whose_rollback_never_succeeded_is_held_before_pilot(
    fleet: Path, tmp_path: Path
) -> None:
    _rolling_back(fleet)
    async with harness(fleet, tmp_path) as h:
        result = await h.until(
            lambda r: "rollback-validated" in r.report(ZIP).gate_summary(), hours=24
        )
        for _ in range(2):  # it stays held: nothing but a rollback seen to work lifts it
            h.sandbox.advance(hours=48)
            result = await h.run()
        report = result.report(ZIP)
        assert (report.ring, report.state) == ("canary", Progress.HOLDING)
        gate = report.last_gate
        assert gate is not None and gate.ring == "pilot"
        assert [v.id for v in gate.result.deny] == ["rollback-validated"]
        assert "no rollback of this build has succeeded" in gate.result.deny[0].msg
        assert "pilot needs a validated rollback" in report.reason
        blocked = report.condition("Blocked")
        assert blocked is not None and blocked.status and blocked.reason == "RollbackValidated"


async def test_a_rollback_drill_in_lab_validates_the_build_then_it_moves_on(
    fleet: Path, tmp_path: Path
) -> None:
    _rolling_back(fleet, "\n    rollbackDrill: true")
    async with harness(fleet, tmp_path) as h:
        drilling = await h.until(lambda r: "rollback drill" in r.report(ZIP).reason, hours=24)
        report = drilling.report(ZIP)
        assert report.ring == "canary" and report.state is Progress.HOLDING
        # the lab gives the build back while canary keeps it
        assert h.assignments(ZIP) == [("required", CANARY), ("uninstall", LAB)]
        moved = await h.until(lambda r: r.report(ZIP).ring == "pilot", hours=24)
        evidence = h.store.rollback_evidence(build_key(load_repo(fleet).repo.intents[ZIP]))
        assert evidence is not None and evidence.ring == "lab" and evidence.devices >= 1
        assert evidence.at <= moved.at
        # the drill is over: the lab has the build again, and pilot now too
        assert h.assignments(ZIP) == [("required", g) for g in (LAB, CANARY, PILOT)]
