"""The reconcile engine end to end: a git fleet repo, the sandbox over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.domain.documents.loader import load_repo
from reconciler.domain.documents.models import DeploymentIntent
from reconciler.domain.gates.progress import Progress
from reconciler.domain.inputs.rollback import build_key
from reconciler.domain.planning.plan import ActionKind
from reconciler.domain.tenant import Platform
from reconciler.engine import PassResult, verify_audit_log
from tests.engine._harness import edit, govern, harness, keep_only

CAROL, DEV, FRANK = (f"{n}@contoso.example" for n in ("carol.nguyen", "dev.patel", "frank.muller"))

LAB = "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01"
CANARY = "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b02"
RINGS = [f"3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b0{i}" for i in range(1, 6)]


async def test_an_intent_rolls_through_every_ring_one_per_pass_then_stays_quiet(
    fleet: Path, tmp_path: Path
) -> None:
    # a first version: nothing superseded to keep for the way back
    keep_only(fleet, ["7zip-24.08", "7zip-23.01"])
    edit(fleet, "intents/7zip-24.08.yaml", "    supersedes: 7zip-23.01\n", "")
    async with harness(fleet, tmp_path) as h:
        seen: list[str | None] = []

        def complete(result: PassResult) -> bool:
            seen.append(result.report("7zip-24.08").ring)
            return result.report("7zip-24.08").state is Progress.COMPLETE

        await h.until(complete, hours=24)
        rings = [r for i, r in enumerate(seen) if i == 0 or r != seen[i - 1]]
        assert rings == ["lab", "canary", "pilot", "broad", "global"]  # never a jump
        assert h.assignments("7zip-24.08") == [("required", g) for g in RINGS]
        history = [e.ring for e in h.store.history("7zip-24.08")]
        assert history == ["lab", "canary", "pilot", "broad", "global"]

        h.sandbox.reset_counters()
        for _ in range(2):
            quiet = await h.run()
            assert quiet.writes == 0 and quiet.planned_writes == 0
        assert h.writes() == 0  # two passes, no change in Git or tenant: zero writes
        assert verify_audit_log(h.audit.path, expected_head=h.store.meta("audit_head")).ok


async def test_the_superseded_version_gives_way_ring_by_ring(fleet: Path, tmp_path: Path) -> None:
    keep_only(fleet, ["7zip-24.08", "7zip-23.01"])
    edit(
        fleet,
        "intents/7zip-24.08.yaml",
        "supersedes: 7zip-23.01",
        "supersedes: 7zip-23.01\n    suspend: true",
    )
    async with harness(fleet, tmp_path) as h:
        await h.until(lambda r: r.report("7zip-23.01").state is Progress.COMPLETE, hours=24)
        assert h.assignments("7zip-23.01") == [("required", g) for g in RINGS]
        edit(fleet, "intents/7zip-24.08.yaml", "\n    suspend: true", "")
        result = await h.run()
        assert result.report("7zip-24.08").ring == "lab"
        # the same pass moved lab from the old version to the new one: no device gets both
        assert h.assignments("7zip-24.08") == [("required", LAB)]
        assert h.assignments("7zip-23.01") == [("required", g) for g in RINGS[1:]]
        h.sandbox.advance(hours=24)
        await h.run()
        assert h.assignments("7zip-24.08") == [("required", LAB), ("required", CANARY)]
        assert h.assignments("7zip-23.01") == [("required", g) for g in RINGS[2:]]


async def test_a_bad_build_is_held_at_canary_by_the_success_rate_gate(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["chrome-131.0.6778"])
    async with harness(fleet, tmp_path) as h:
        await h.until(lambda r: r.report("chrome-131.0.6778").ring == "canary", hours=24)
        # canary's varied hardware exposes what the lab did not: 8 % of installs fail
        h.sandbox.set_failure_rate("chrome-131.0.6778", 0.08)
        result = await h.until(
            lambda r: "min-success-rate" in r.report("chrome-131.0.6778").gate_summary(),
            hours=24,
        )
        for _ in range(3):
            h.sandbox.advance(hours=48)
            result = await h.run()
        report = result.report("chrome-131.0.6778")
        assert report.ring == "canary" and report.state is Progress.HOLDING
        assert report.telemetry.success_rate is not None and report.telemetry.success_rate < 0.97
        blocked = report.condition("Blocked")
        assert blocked is not None and blocked.status and blocked.reason == "MinSuccessRate"


async def test_a_collapsed_success_rate_halts_or_rolls_back(fleet: Path, tmp_path: Path) -> None:
    keep_only(fleet, ["7zip-24.08", "7zip-23.01"])
    edit(
        fleet,
        "intents/7zip-24.08.yaml",
        "driftPolicy: correct",
        "driftPolicy: correct\n    onFailure: rollback\n    suspend: true",
    )
    edit(fleet, "intents/7zip-23.01.yaml", "until: global", "until: canary")
    async with harness(fleet, tmp_path) as h:
        await h.until(lambda r: r.report("7zip-23.01").state is Progress.COMPLETE, hours=24)
        edit(fleet, "intents/7zip-24.08.yaml", "\n    suspend: true", "")
        h.sandbox.set_failure_rate("7zip-24.08", 0.5)
        result = await h.until(
            lambda r: r.report("7zip-24.08").state is Progress.ROLLED_BACK, hours=24
        )
        report = result.report("7zip-24.08")
        reached = report.ring
        assert reached in {"lab", "canary"}
        # the bad version uninstalls where it reached; the old one is back everywhere it was
        assert all(intent == "uninstall" for intent, _ in h.assignments("7zip-24.08"))
        assert h.assignments("7zip-23.01") == [("required", LAB), ("required", CANARY)]
        assert report.condition("Blocked").status  # type: ignore[union-attr]
        h.sandbox.set_failure_rate("7zip-24.08", 0.0)
        h.sandbox.advance(hours=48)
        again = await h.run()  # sticks until Git changes the intent
        assert again.report("7zip-24.08").state is Progress.ROLLED_BACK and again.writes == 0
        # devices seen with the build that now report it removed: the rollback is recorded
        # for the build, the evidence rollback-validated wants before pilot
        build = build_key(again_intent(fleet))
        evidence = h.store.rollback_evidence(build)
        assert evidence is not None and evidence.ring in {"lab", "canary"}
        assert evidence.devices >= 1 and evidence.intent == "7zip-24.08"
        records = [json.loads(line) for line in h.audit.path.read_text().splitlines()]
        logged = [r for r in records if r.get("event") == "rollback-validated"]
        assert len(logged) == 1 and logged[0]["build"] == build


async def test_halt_keeps_the_rings_and_blocks(fleet: Path, tmp_path: Path) -> None:
    keep_only(fleet, ["chrome-131.0.6778"])
    async with harness(fleet, tmp_path) as h:
        h.sandbox.set_failure_rate("chrome-131.0.6778", 0.6)
        result = await h.until(lambda r: r.report("chrome-131.0.6778").state is Progress.BLOCKED)
        report = result.report("chrome-131.0.6778")
        assert report.ring == "lab" and "halted in lab" in report.reason
        assert h.assignments("chrome-131.0.6778") == [("required", LAB)]


async def test_portal_drift_is_corrected_warned_or_ignored_per_intent(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["7zip-24.08", "7zip-23.01", "zoom-6.2.10", "notepadplusplus-8.7.1"])
    async with harness(fleet, tmp_path) as h:
        await h.run()
        ids = {
            name: h.apps(name)["windows"][0]["id"]
            for name in ("7zip-24.08", "zoom-6.2.10", "notepadplusplus-8.7.1")
        }
        for app_id in ids.values():
            h.sandbox.add_all_devices_assignment(app_id)
        h.sandbox.edit_install_command(ids["7zip-24.08"], "7z.exe /S /D=C:\\evil")
        h.sandbox.reset_counters()
        result = await h.run()
        fixed = result.report("7zip-24.08")
        assert {d.field for d in fixed.drift} == {"assignment", "installCommandLine"}
        assert all(d.corrected for d in fixed.drift)
        assert h.assignments("7zip-24.08") == [("required", LAB)]
        assert h.apps("7zip-24.08")["windows"][0]["installCommandLine"] != "7z.exe /S /D=C:\\evil"
        warned = result.report("zoom-6.2.10")
        assert [d.field for d in warned.drift] == ["assignment"] and not warned.drift[0].corrected
        assert ("required", "allDevicesAssignmentTarget") in h.assignments("zoom-6.2.10")
        assert warned.condition("Drifted").status  # type: ignore[union-attr]
        ignored = result.report("notepadplusplus-8.7.1")
        assert ignored.drift == () and not ignored.writes
        assert result.writes == 2  # 7-Zip only: properties and assignments
        after = await h.run()
        assert after.report("7zip-24.08").drift == ()
        assert after.report("7zip-24.08").condition("Drifted").status is False  # type: ignore[union-attr]
        assert after.report("zoom-6.2.10").drift  # still reported, still not written
        assert after.writes == 0


async def test_a_deleted_app_is_recreated_and_a_disabled_jamf_policy_re_enabled(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["7zip-24.08", "7zip-23.01"])
    async with harness(fleet, tmp_path) as h:
        await h.run()
        windows = h.apps("7zip-24.08")["windows"][0]["id"]
        policy_id = next(p.id for p in h.sandbox.jamf.policies.values() if "7zip-24.08" in p.name)
        h.sandbox.delete_app(windows)
        h.sandbox.disable_jamf_policy(policy_id)
        result = await h.run()
        fields = {(d.platform.value, d.field) for d in result.report("7zip-24.08").drift}
        assert fields == {("windows", "app"), ("macos", "policyEnabled")}
        assert len(h.apps("7zip-24.08")["windows"]) == 1
        assert h.sandbox.jamf.policy(policy_id).text("general/enabled") == "true"


async def test_suspended_intents_and_dry_runs_write_nothing(fleet: Path, tmp_path: Path) -> None:
    keep_only(fleet, ["vlc-3.0.21", "chrome-131.0.6778"])
    async with harness(fleet, tmp_path) as h:
        planned = await h.run(dry_run=True)
        assert planned.planned_writes == 3 and planned.writes == 0
        assert h.writes() == 0 and h.store.records() == []
        result = await h.run()
        assert result.report("vlc-3.0.21").state is Progress.SUSPENDED
        assert h.apps("vlc-3.0.21") == {"windows": [], "macos": []}
        assert result.writes == 3


async def test_an_intent_removed_from_git_is_reported_and_pruned_only_when_asked(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["chrome-131.0.6778", "firefox-132.0.2"])
    async with harness(fleet, tmp_path) as h:
        await h.run()
        keep_only(fleet, ["chrome-131.0.6778"])
        result = await h.run()
        assert result.orphans
        for orphan in result.orphans:
            assert orphan.intent == "firefox-132.0.2" and "prune" in orphan.reason
        assert len(h.apps("firefox-132.0.2")["windows"]) == 1
        # turning prune on loosens FleetConfig: pending until two governance approvers sign
        edit(fleet, "fleet.yaml", "prune: false", "prune: true")
        result = await h.run()
        assert [p.kind for p in result.pending] == ["FleetConfig"]
        assert len(h.apps("firefox-132.0.2")["windows"]) == 1
        digest = load_repo(fleet).repo.fleet.digest  # type: ignore[union-attr]
        govern(fleet, "FleetConfig", "contoso", digest, [CAROL, DEV])
        result = await h.run()
        assert result.pending == []
        assert h.apps("firefox-132.0.2")["windows"] == []
        assert "firefox-132.0.2" not in h.store.intents()


async def test_a_cab_governed_intent_is_retired_only_with_a_governance_approval(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["chrome-131.0.6778", "sap-gui-8.00"])
    edit(fleet, "fleet.yaml", "prune: false", "prune: true")
    govern(fleet, "FleetConfig", "contoso", load_repo(fleet).repo.fleet.digest, [CAROL, DEV])  # type: ignore[union-attr]
    async with harness(fleet, tmp_path) as h:
        await h.run()
        assert len(h.apps("sap-gui-8.00")["windows"]) == 1
        keep_only(fleet, ["chrome-131.0.6778"])
        result = await h.run()
        (orphan,) = result.orphans
        assert "CAB-governed" in orphan.reason  # prune is on, yet it is kept
        assert [(p.kind, p.name) for p in result.pending] == [("DeploymentIntent", "sap-gui-8.00")]
        assert len(h.apps("sap-gui-8.00")["windows"]) == 1
        govern(fleet, "DeploymentIntent", "sap-gui-8.00", "deleted", [CAROL, FRANK])
        result = await h.run()
        assert result.pending == [] and h.apps("sap-gui-8.00")["windows"] == []


async def test_unmanaged_look_alikes_are_reported_never_touched(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["chrome-131.0.6778"])
    async with harness(fleet, tmp_path) as h:
        await h.run()
        (app,) = h.apps("chrome-131.0.6778")["windows"]
        app["notes"] = "made by hand"  # the marker is gone: no longer ours
        h.sandbox.reset_counters()
        result = await h.run()
        kinds = [(o.kind.value, o.app_id) for o in result.orphans]
        assert ("report-orphan", app["id"]) in kinds
        assert app["notes"] == "made by hand"
        # no second app next to it: a look-alike finding that says how to adopt it
        assert h.apps("chrome-131.0.6778")["windows"] == []
        report = result.report("chrome-131.0.6778")
        assert any(
            a.kind.value == "look-alike" and f'adopt: {{intune: "{app["id"]}"}}' in a.reason
            for a in report.actions
        )


async def test_an_app_still_publishing_is_assigned_next_pass_without_an_error(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["7zip-24.08", "7zip-23.01"])
    async with harness(fleet, tmp_path, devices=(200, 50), publish_after_reads=10_000) as h:
        first = await h.run()
        report = first.report("7zip-24.08")
        assert report.errors == (), report.errors  # publishing is slow, not failed
        assert h.apps("7zip-24.08")["windows"][0]["publishingState"] == "processing"
        assert h.assignments("7zip-24.08") == []
        h.sandbox.advance(minutes=10)  # Intune finishes publishing meanwhile
        second = await h.run()
        assert second.report("7zip-24.08").errors == ()
        assert h.assignments("7zip-24.08") == [("required", LAB)]
        commits = [k for k in h.sandbox.requests if k.endswith("/commit")]
        # the content was committed once: an app still publishing is not uploaded again
        assert sum(h.sandbox.requests[k] for k in commits) == 1


def again_intent(fleet: Path) -> DeploymentIntent:
    return load_repo(fleet).repo.intents["7zip-24.08"]


async def test_a_package_for_an_unconfigured_provider_is_said_not_skipped(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["7zip-24.08", "7zip-23.01"])
    async with harness(fleet, tmp_path) as h:
        # only Windows' tenant configured: the Mac packages' provider (jamf) has no connector
        h.reconciler.connectors = {"intune": h.connectors["intune"]}
        packages_before = dict(h.sandbox.jamf.packages)
        result = await h.run()
        for name in ("7zip-24.08", "7zip-23.01"):
            (said,) = [a for a in result.report(name).actions if a.kind is ActionKind.NOT_CONNECTED]
            assert said.provider == "jamf" and said.platform is Platform.MACOS
            assert "no tenant configured" in said.reason and not said.writes
        assert h.apps("7zip-24.08")["windows"]  # the configured provider still deploys
        assert h.sandbox.jamf.packages == packages_before  # nothing written without a tenant
