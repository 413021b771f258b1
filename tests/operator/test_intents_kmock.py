"""The whole operator: kopf against the emulated cluster, the engine against the sandbox.

A GitSource names the fleet repo and a tenant Secret pointing at the sandbox; the test
only moves the sandbox's clock after each pass and reads what the operator wrote to the
objects (status, Events), as ``kubectl`` would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import kopf
import pytest
from prometheus_client import REGISTRY

from reconciler.engine import verify_audit_log
from reconciler.operator import GitSourceService, OperatorConfig
from reconciler.operator._passes import SourcePasses
from reconciler.sandbox import Sandbox
from tests.engine._harness import FAST_RETRY
from tests.operator._apiserver import ApiServer
from tests.operator.conftest import (
    DI,
    GS,
    VLC,
    ZIP,
    running_operator,
    state_of,
    until,
    wiring,
)

RECONCILE_ANNOTATION = "eucora.io/reconcile-requested-at"
RINGS = ["lab", "canary", "pilot", "broad", "global"]


class Operator:
    """One operator process and what the test needs to see and steer."""

    def __init__(self, cluster: Any, sandbox: Sandbox, config: OperatorConfig) -> None:
        self.cluster, self.sandbox = cluster, sandbox
        self.wiring = wiring(
            cluster,
            config,
            clock=sandbox.now,
            connector_options={
                "intune": {"retry": FAST_RETRY, "poll_interval": 0.02},
                "jamf": {"retry": FAST_RETRY},
            },
        )
        self.memo = kopf.Memo()

    @property
    def service(self) -> GitSourceService | None:
        state = state_of(self.memo)
        return None if state is None else state.sources.get("uid-src")

    @property
    def passes(self) -> SourcePasses | None:
        service = self.service
        return None if service is None else service.passes

    @property
    def reported(self) -> dict[str, str]:
        """The pass each intent's status shows, by intent name."""
        service = self.service
        return {} if service is None else service.reported

    def status(self, name: str) -> dict[str, Any]:
        return dict(self.cluster.objects[DI, "fleet", name].get("status") or {})

    def condition(self, name: str, kind: str) -> dict[str, Any]:
        conditions = self.status(name).get("conditions") or []
        return next((c for c in conditions if c["type"] == kind), {})

    def events(self, name: str) -> list[dict[str, Any]]:
        objects = self.cluster.objects
        found = [dict(objects[key]) for key in list(objects) if "plural='events'" in str(key[0])]
        return [e for e in found if e.get("involvedObject", {}).get("name") == name]

    def reasons(self, name: str) -> list[str]:
        return [e["reason"] for e in self.events(name)]

    async def passes_until(
        self, done: Callable[[], bool], *, hours: float = 24, limit: int = 30
    ) -> None:
        """Request passes the way ``kubectl annotate`` does, moving the clock ``hours``
        before each, until ``done()`` holds once every intent has reported a pass."""
        for step in range(limit):
            assert await until(self._reported, seconds=20), (
                f"intents did not report pass {self._latest_id()}: {self.reported}"
            )
            # kopf sends the status patch just after the handler took the pass
            if await until(done, seconds=0.5):
                return
            seen = self._latest_id()
            self.sandbox.advance(hours=hours)
            await self.request(f"step-{step}-{seen}")
            assert await until(lambda s=seen: self._latest_id() != s, seconds=20), "no new pass"
        raise AssertionError(f"not done after {limit} passes: {self.status(ZIP)}")

    async def request(self, token: str) -> None:
        await _patch_source(
            self.cluster, {"metadata": {"annotations": {RECONCILE_ANNOTATION: token}}}
        )

    def _latest_id(self) -> str | None:
        passes = self.passes
        return None if passes is None or passes.latest is None else passes.latest.info.id

    def _reported(self) -> bool:
        """Every intent's handler has taken the newest pass (a quiet one patches nothing)."""
        latest, reported = self._latest_id(), self.reported
        return latest is not None and all(reported.get(n) == latest for n in (ZIP, VLC))


@contextlib.asynccontextmanager
async def operator(
    cluster: Any, sandbox: Sandbox, config: OperatorConfig
) -> AsyncIterator[Operator]:
    running = Operator(cluster, sandbox, config)
    async with running_operator(running.wiring) as memo:
        running.memo = memo
        yield running


@pytest.fixture()
def audit_log(tmp_path: Path) -> Path:
    """Where the operator keeps the audit log of the source ``src`` (uid ``uid-src``)."""
    return tmp_path / "cache" / "audit" / "uid-src.jsonl"


async def _patch_source(cluster: Any, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=str(cluster.url).rstrip("/")) as http:
        response = await http.patch(
            "/apis/eucora.io/v1alpha1/namespaces/fleet/gitsources/src",
            json=body,
            headers={"Content-Type": "application/merge-patch+json"},
        )
        response.raise_for_status()


@pytest.mark.kmock(cls=ApiServer)
async def test_intents_promote_ring_by_ring_with_status_and_events(
    fleet_cluster: Any, tenant: Sandbox, fleet_config: OperatorConfig, audit_log: Path
) -> None:
    async with operator(fleet_cluster, tenant, fleet_config) as op:
        await op.passes_until(lambda: op.status(ZIP).get("state") == "Complete")
        status = op.status(ZIP)
        assert status["currentRing"] == "global"
        assert [h["ring"] for h in status["ringHistory"]] == RINGS
        assert status["reachedRings"] == RINGS
        entered = [h["enteredAt"] for h in status["ringHistory"]]
        assert entered == sorted(entered) and len(set(entered)) == len(RINGS)
        assert {a["platform"] for a in status["applied"]} == {"windows", "macos"}
        assert status["risk"]["score"] >= 0 and status["approvals"]["required"] == 0
        assert status["lastGate"]["allow"] is True
        assert status["lastAppliedRevision"] == status["lastPass"]["revision"]
        # once complete, a pass that changes nothing sends no status patch
        # (VLC too, whose status holds nulls that a merge patch removes: telemetry.ring)
        patched = {n: len(fleet_cluster.objects[DI, "fleet", n].history) for n in (ZIP, VLC)}
        for token in ("quiet-1", "quiet-2"):
            seen = op.reported[ZIP]
            await op.request(token)
            assert await until(lambda s=seen: op.reported[ZIP] != s)
        await asyncio.sleep(0.5)  # time for a patch, were one sent
        assert {n: len(fleet_cluster.objects[DI, "fleet", n].history) for n in patched} == patched
        ready = op.condition(ZIP, "Ready")
        assert (ready["status"], ready["reason"]) == ("True", "Complete")
        assert op.condition(ZIP, "Reconciling")["status"] == "False"
        # one Promoted Event per ring, in ring order, then the completion (posted in the
        # background, after the status)
        assert await until(lambda: "RolloutComplete" in op.reasons(ZIP))
        promoted = [e["message"] for e in op.events(ZIP) if e["reason"] == "Promoted"]
        assert [m.split("entered ring ")[1].split(" ")[0] for m in promoted] == RINGS
        # the passes fed the metrics
        allowed = REGISTRY.get_sample_value(
            "eucora_gate_decisions_total", {"ring": "global", "result": "allow"}
        )
        assert allowed is not None and allowed >= 1
        # time to compliance of the intent's ring, as a share and per class and outcome
        ring = status["timeToCompliance"]["ring"]
        share = REGISTRY.get_sample_value(
            "eucora_time_to_compliance_ratio", {"intent": ZIP, "ring": ring}
        )
        assert share is not None and share * 100 == pytest.approx(
            status["timeToCompliance"]["percent"], abs=0.5
        )
        online = REGISTRY.get_sample_value(
            "eucora_time_to_compliance_devices",
            {"intent": ZIP, "ring": ring, "connectivity": "online", "outcome": "compliant"},
        )
        assert online is not None and online > 0
        held = [e for e in op.events(ZIP) if e["reason"] == "PromotionHeld"]
        assert held and all(e["type"] == "Normal" for e in held)  # waiting on soak/devices
        # VLC is suspended in Git (rollout.suspend): observed and reported, never written
        vlc = op.status(VLC)
        assert (vlc["state"], vlc.get("currentRing")) == ("Suspended", None)
        assert op.condition(VLC, "Ready")["reason"] == "Suspended"
        assert not [
            a for a in tenant.graph.apps.values() if f"intent={VLC} " in (a.data.get("notes") or "")
        ]
        # the source counts its intents by state
        source = fleet_cluster.objects[GS, "fleet", "src"]["status"]
        assert source["intents"] == {"total": 2, "Complete": 1, "Suspended": 1}
        ready = next(c for c in source["conditions"] if c["type"] == "Ready")
        assert (ready["status"], ready["reason"]) == ("True", "Reconciled")
        assert ready["observedGeneration"] == source["observedGeneration"] == 1
        # and where its audit log ended, to catch a log cut or lost later
        log = verify_audit_log(audit_log, expected_head=source["audit"]["head"])
        assert log.ok and log.head == source["audit"]["head"]
        assert log.records == source["audit"]["records"] > 10


@pytest.mark.kmock(cls=ApiServer)
async def test_portal_drift_is_corrected_drifted_then_ready(
    fleet_cluster: Any, tenant: Sandbox, fleet_config: OperatorConfig
) -> None:
    async with operator(fleet_cluster, tenant, fleet_config) as op:
        await op.passes_until(lambda: op.status(ZIP).get("currentRing") == "canary")
        await op.passes_until(lambda: op.condition(ZIP, "Drifted").get("status") == "False")
        in_sync_since = op.condition(ZIP, "Drifted")["lastTransitionTime"]
        (app_id,) = [
            i
            for i, a in tenant.graph.apps.items()
            if f"intent={ZIP} " in (a.data.get("notes") or "")
        ]
        tenant.add_all_devices_assignment(app_id)
        await op.passes_until(lambda: op.condition(ZIP, "Drifted").get("status") == "True", hours=0)
        drifted = op.condition(ZIP, "Drifted")
        assert drifted["reason"] == "DriftCorrected"
        assert drifted["lastTransitionTime"] >= in_sync_since
        assert op.condition(ZIP, "Ready")["reason"] == "Drifted"
        assert any(d["corrected"] for d in op.status(ZIP)["drift"])
        assert await until(lambda: "DriftCorrected" in op.reasons(ZIP))
        corrected = REGISTRY.get_sample_value(
            "eucora_drift_corrected_total", {"platform": "windows"}
        )
        assert corrected is not None and corrected >= 1
        # the correction removed the hand-made assignment; the next pass finds nothing
        assert all(
            "allDevices" not in a["target"]["@odata.type"]
            for a in tenant.graph.apps[app_id].assignments
        )
        await op.passes_until(
            lambda: op.condition(ZIP, "Drifted").get("status") == "False", hours=0
        )
        assert op.condition(ZIP, "Drifted")["reason"] == "InSync"
        assert op.status(ZIP)["drift"] == []


@pytest.mark.kmock(cls=ApiServer)
async def test_suspended_source_runs_no_pass_until_resumed(
    fleet_cluster: Any, tenant: Sandbox, fleet_config: OperatorConfig
) -> None:
    async with operator(fleet_cluster, tenant, fleet_config) as op:
        await op.passes_until(lambda: op.status(ZIP).get("currentRing") == "lab")
        await _patch_source(fleet_cluster, {"spec": {"suspend": True}})
        passes = op.passes
        assert passes is not None
        assert await until(lambda: passes.suspended)
        ran, ring = passes.passes, op.status(ZIP)["currentRing"]
        tenant.advance(hours=72)
        await op.request("while-suspended")
        await asyncio.sleep(1.5)  # several ticks
        assert passes.passes == ran
        assert op.status(ZIP)["currentRing"] == ring
        await _patch_source(fleet_cluster, {"spec": {"suspend": False}})
        assert await until(lambda: passes.passes > ran, seconds=20)
        await op.passes_until(lambda: op.status(ZIP).get("currentRing") != ring)


@pytest.mark.kmock(cls=ApiServer)
async def test_a_new_operator_process_carries_on_from_the_status(
    fleet_cluster: Any, tenant: Sandbox, fleet_config: OperatorConfig
) -> None:
    """The engine's record lives in the status: a restarted (or standby) operator with
    an empty memory neither restarts the rollout at lab nor mistakes its own earlier
    writes for drift."""
    async with operator(fleet_cluster, tenant, fleet_config) as first:
        await first.passes_until(lambda: first.status(ZIP).get("currentRing") == "pilot")
    before = first.status(ZIP)
    writes_before = sum(tenant.counters()["stateWrites"].values())
    async with operator(fleet_cluster, tenant, fleet_config) as second:
        assert second.passes is None or second.passes.passes == 0
        await second.request("after-restart")
        await second.passes_until(
            lambda: second.passes is not None and second.passes.passes >= 1, hours=0
        )
        after = second.status(ZIP)
        assert second.reported[ZIP] != before["lastPass"]["id"]
        assert after["currentRing"] == "pilot"
        assert after["ringHistory"] == before["ringHistory"]
        assert after["drift"] == []
        assert sum(tenant.counters()["stateWrites"].values()) == writes_before
        await second.passes_until(lambda: second.status(ZIP).get("currentRing") == "broad")
        assert [h["ring"] for h in second.status(ZIP)["ringHistory"]] == RINGS[:4]
        assert "AuditLogBroken" not in second.reasons("src")


@pytest.mark.kmock(cls=ApiServer)
async def test_a_cut_audit_log_is_reported_when_the_operator_starts(
    fleet_cluster: Any, tenant: Sandbox, fleet_config: OperatorConfig, audit_log: Path
) -> None:
    async with operator(fleet_cluster, tenant, fleet_config) as first:
        await first.passes_until(lambda: first.status(ZIP).get("currentRing") == "canary")
        assert await until(lambda: "audit" in fleet_cluster.objects[GS, "fleet", "src"]["status"])
    recorded = fleet_cluster.objects[GS, "fleet", "src"]["status"]["audit"]
    records = audit_log.read_text().splitlines(keepends=True)
    audit_log.write_text("".join(records[:-2]))
    async with operator(fleet_cluster, tenant, fleet_config) as second:
        await second.request("after-cut")
        assert await until(lambda: "AuditLogBroken" in second.reasons("src"), seconds=20)
        warning = next(e for e in second.events("src") if e["reason"] == "AuditLogBroken")
        assert warning["type"] == "Warning"
        assert str(audit_log) in warning["message"] and recorded["head"][:12] in warning["message"]
        # reported once, and the passes go on: the rollout is not held hostage by its log
        await second.passes_until(lambda: second.status(ZIP).get("currentRing") == "pilot")
        assert second.reasons("src").count("AuditLogBroken") == 1
