"""Attacks on the trust model seen through sandbox reconcile passes: what reaches devices.

Each test commits what an attacker could (unsigned, or with a CAB member's key) to a real
example fleet repo and runs the engine against the sandbox tenant over HTTP."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.compose import RevisionPolicies
from reconciler.domain.progress import Progress, StoredRing
from reconciler.engine import UntrustedRevisionError, open_revision
from reconciler.gitops import SshVerifier, open_local
from tests.engine._harness import SIGNERS, commit, edit, harness, keep_only, signed_as

RINGS = [f"3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b0{i}" for i in range(1, 6)]
LAB, GLOBAL = RINGS[0], RINGS[4]
GRACE = "grace.kim@contoso.example"


async def test_adding_the_global_group_to_lab_does_not_reach_global(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["globalprotect-6.3.2"])
    edit(fleet, "fleet.yaml", f'intune: ["{LAB}"]', f'intune: ["{LAB}", "{GLOBAL}"]')
    async with harness(fleet, tmp_path) as h:
        result = await h.run()
        assert [p.kind for p in result.pending] == ["FleetConfig"]
        groups = {g for _, g in h.assignments("globalprotect-6.3.2")}
        assert GLOBAL not in groups and groups <= {LAB}


async def test_an_edited_ring_record_does_not_put_an_unapproved_intent_on_cab_rings(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["globalprotect-6.3.2"])
    async with harness(fleet, tmp_path) as h:
        await h.run()
        since = h.sandbox.now() - timedelta(days=10)
        h.store.save_ring(
            "globalprotect-6.3.2", StoredRing("global", since, None, ("lab", "canary", "pilot",
            "broad", "global")), state="complete", reason="edited by hand", now=since,
        )  # fmt: skip
        result = await h.run()
        report = result.report("globalprotect-6.3.2")
        assert (
            report.state is Progress.BLOCKED and "no valid CAB approval for pilot" in report.reason
        )
        assert report.ring == "canary"
        groups = {g for _, g in h.assignments("globalprotect-6.3.2")}
        assert groups <= set(RINGS[:2])


async def test_supersedes_across_apps_does_not_stop_a_cab_approved_edr(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["falcon-sensor-7.18", "notepadplusplus-8.7.1"])
    async with harness(fleet, tmp_path) as h:
        since = h.sandbox.now() - timedelta(days=30)
        h.store.save_ring(
            "falcon-sensor-7.18", StoredRing("global", since, None, ("lab", "canary", "pilot",
            "broad", "global")), state="complete", reason="in production", now=since,
        )  # fmt: skip
        await h.run()
        assert {g for _, g in h.assignments("falcon-sensor-7.18")} == set(RINGS)
        text = (fleet / "intents" / "notepadplusplus-8.7.1.yaml").read_text()
        edit(fleet, "intents/notepadplusplus-8.7.1.yaml", "  rollout:\n",
             "  rollout:\n    supersedes: falcon-sensor-7.18\n")  # fmt: skip
        assert "supersedes" not in text
        for _ in range(2):
            await h.run()
            h.sandbox.advance(hours=24)
        assert {g for _, g in h.assignments("falcon-sensor-7.18")} == set(RINGS)


async def test_closing_an_open_incident_waits_for_governance_approval(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["teams-24295"])
    async with harness(fleet, tmp_path) as h:
        first = await h.run()
        assert first.pending == []
        edit(fleet, "incidents/inc-2026-077.yaml", "status: investigating", "status: resolved")
        result = await h.run()
        assert [(p.kind, p.name) for p in result.pending] == [("Incident", "inc-2026-077")]
        assert "closes incident" in result.pending[0].loosenings[0]
        # the intent says why the incident still holds it
        (why,) = result.report("teams-24295").governance
        assert why.startswith("Incident inc-2026-077: closes incident")
        # deleting it instead is the same loosening
        (fleet / "incidents" / "inc-2026-077.yaml").unlink()
        commit(fleet, "delete the incident")
        result = await h.run()
        assert [(p.kind, p.digest) for p in result.pending] == [("Incident", "deleted")]


async def test_a_force_push_is_refused_until_acknowledged_and_a_withdrawal_is_remembered(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["rdm-admin-2024.3"])
    async with harness(fleet, tmp_path) as h:
        result = await h.run()
        approvals = result.report("rdm-admin-2024.3")
        before = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=fleet, capture_output=True, text=True, check=True
        ).stdout.strip()
        digest = (fleet / "approvals" / "rdm-admin-2024.3-pilot-grace.kim.yaml").read_text()
        digest = digest.split('intentDigest: "')[1].split('"')[0]
        rejection = (
            "apiVersion: eucora.io/v1alpha1\nkind: CABApproval\n"
            "metadata: {name: rdm-grace-withdrawn}\nspec:\n  intent: rdm-admin-2024.3\n"
            f'  intentDigest: "{digest}"\n  approver: {GRACE}\n  decision: rejected\n'
            "  rings: [pilot]\n  approvedAt: 2026-11-22T09:00:00Z\n"
            "  expires: 2026-12-21T00:00:00Z\n"
        )
        (fleet / "approvals" / "rdm-grace-withdrawn.yaml").write_text(signed_as(rejection, GRACE))
        commit(fleet, "Grace withdraws her approval")
        result = await h.run()
        assert result.report("rdm-admin-2024.3").approvals_valid == 0
        # the rejection is force-pushed away: history no longer descends
        subprocess.run(["git", "reset", "-q", "--hard", before], cwd=fleet, check=True)
        commit(fleet, "rewritten history")
        with pytest.raises(UntrustedRevisionError, match="does not descend"):
            await h.run()
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=fleet, capture_output=True, text=True, check=True
        ).stdout.strip()
        h.reconciler.acknowledged.add(head)
        result = await h.run()
        # acknowledged, but the withdrawn approval does not come back
        assert result.report("rdm-admin-2024.3").approvals_valid == 0
        assert approvals is not None


HOLD_CHROME = (
    "package eucora.custom.promotion\nimport rego.v1\n"
    'deny contains {"id": "org-hold-chrome", "msg": "browsers wait for the security review"} if {\n'
    '\tinput.intent.name == "chrome-131.0.6778"\n}\n'
)


async def test_removing_a_repo_policy_waits_for_governance_approval(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["chrome-131.0.6778"])
    (fleet / "policies").mkdir()
    (fleet / "policies" / "hold.rego").write_text(HOLD_CHROME)
    commit(fleet, "hold chrome")  # adding a gate tightens: acts at once
    async with harness(fleet, tmp_path) as h:
        h.reconciler.policies = RevisionPolicies("")
        result = await h.run()
        assert result.pending == []
        report = result.report("chrome-131.0.6778")
        assert report.ring is None and "org-hold-chrome" in report.gate_summary()
        (fleet / "policies" / "hold.rego").unlink()
        commit(fleet, "drop the hold")
        for _ in range(2):
            h.sandbox.advance(hours=24)
            result = await h.run()
        assert [p.kind for p in result.pending] == ["PolicySet"]
        report = result.report("chrome-131.0.6778")
        assert report.ring is None and "org-hold-chrome" in report.gate_summary()


async def test_an_approval_first_seen_before_a_key_revocation_keeps_counting(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["rdm-admin-2024.3"])
    async with harness(fleet, tmp_path) as h:
        h.sandbox.advance(hours=48)  # past the approval's approvedAt
        result = await h.run()
        assert result.report("rdm-admin-2024.3").approvals_valid == 1
        # Grace's key is revoked from now on: what the reconciler saw before still counts,
        # a new approval signed with it does not
        revoked = tmp_path / "revoked"
        revoked.mkdir()
        until = (h.sandbox.now() + timedelta(days=1)).strftime("%Y%m%d")
        (revoked / "allowed_signers").write_text(
            SIGNERS.read_text().replace(
                f'{GRACE} namespaces="git,eucora"',
                f'{GRACE} namespaces="git,eucora",valid-before="{until}"',
            )
        )
        h.reconciler.verifier = SshVerifier(revoked / "allowed_signers")
        h.sandbox.advance(hours=36)  # past the revocation
        result = await h.run()
        assert result.report("rdm-admin-2024.3").approvals_valid == 1
        # judged at the pass time instead (no memory), the revoked key fails
        h.store.set_meta("trust.first_seen", "{}")
        result = await h.run()
        assert result.report("rdm-admin-2024.3").approvals_valid == 0


async def test_a_held_revision_judges_its_own_policies_on_every_pass(
    fleet: Path, tmp_path: Path
) -> None:
    """A revision loaded once and passed again (the operator holds its tree): the trusted
    policy set a pass put into the tree does not pass for the revision's own next time."""
    keep_only(fleet, ["chrome-131.0.6778"])
    (fleet / "policies").mkdir()
    (fleet / "policies" / "hold.rego").write_text(HOLD_CHROME)
    commit(fleet, "hold chrome")
    async with harness(fleet, tmp_path) as h:
        h.reconciler.policies = RevisionPolicies("")
        await h.run()
        (fleet / "policies" / "hold.rego").unlink()
        commit(fleet, "drop the hold")
        with open_revision(open_local(fleet)) as loaded:
            for _ in range(3):
                h.sandbox.advance(hours=24)
                result = await h.reconciler.reconcile_loaded(loaded)
                assert [p.kind for p in result.pending] == ["PolicySet"]
                report = result.report("chrome-131.0.6778")
                assert report.ring is None and "org-hold-chrome" in report.gate_summary()
