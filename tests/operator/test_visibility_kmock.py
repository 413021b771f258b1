"""The operator's visibility end to end: a GitSource's ``spec.notifications`` (URLs and
token in Secrets) tells a Teams stand-in and posts commit statuses; the dashboard it serves
on EUCORA_DASHBOARD_PORT and ``eucora dashboard --cluster``'s source show the intents."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.operator import DashboardConfig, OperatorConfig
from reconciler.operator.dashboard import ClusterSource
from reconciler.sandbox import Sandbox
from tests.notify._standin import stand_in
from tests.operator._apiserver import ApiServer
from tests.operator.conftest import DI, GS, ZIP, git_source, secret
from tests.operator.test_intents_kmock import RINGS, operator


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.kmock(cls=ApiServer)
async def test_notifications_commit_statuses_and_dashboards_from_the_operator(
    fleet_cluster: Any, fleet_two: Path, tenant: Sandbox, fleet_config: OperatorConfig
) -> None:
    port = _free_port()
    config = dataclasses.replace(fleet_config, dashboard=DashboardConfig(port, "127.0.0.1"))
    async with stand_in() as hooks:
        fleet_cluster.objects["v1/secrets", "fleet", "chat"] = secret(
            "chat", {"url": f"{hooks.url}/teams", "token": "glpat-test"}
        )
        notifications = {
            "events": ["promotion", "complete"],
            "teams": [{"secretRef": {"name": "chat"}}],
            "commitStatus": {"provider": "gitlab", "repository": "endpoint/fleet",
                             "apiUrl": f"{hooks.url}/gitlab", "context": "eucora",
                             "tokenSecretRef": {"name": "chat"}},
        }  # fmt: skip
        fleet_cluster.objects[GS, "fleet", "src"] = git_source(
            "src", "fleet", fleet_two, tenantSecretRef={"name": "tenant"},
            notifications=notifications,
        )  # fmt: skip
        async with operator(fleet_cluster, tenant, config) as op:
            await op.passes_until(lambda: op.status(ZIP).get("state") == "Complete")
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                matrix = await http.get("/")
                page = await http.get("/intent", params={"fleet": "uid-src", "name": ZIP})
            assert op.service is not None and op.service.notifier is not None
            await op.service.notifier.drain(10)
            revision = op.status(ZIP)["lastAppliedRevision"]
        titles = [b["attachments"][0]["content"]["body"][0]["text"] for b in hooks.at("/teams")]
        zip_titles = [t for t in titles if t.startswith("7-Zip 23.01")]
        assert zip_titles == ["7-Zip 23.01 promoted"] * len(RINGS) + [
            "7-Zip 23.01 rollout complete"
        ]
        statuses = hooks.under(f"/gitlab/projects/endpoint%2Ffleet/statuses/{revision}")
        assert statuses and statuses[-1].headers["PRIVATE-TOKEN"] == "glpat-test"
        assert statuses[0].body["state"] == "running" and statuses[0].body["name"] == "eucora"
        assert statuses[-1].body["state"] == "success"

    # the operator's own dashboard: its passes, history and audit trail
    assert matrix.status_code == 200 and f'data-intent="{ZIP}"' in matrix.text
    assert "GitSource" not in matrix.text and "fleet/src" in matrix.text
    assert page.status_code == 200
    assert page.text.count("entered <strong>") == len(RINGS)
    assert "ring-entered" in page.text  # from the source's audit log

    # eucora dashboard --cluster reads the same from the statuses
    cluster = ClusterSource(httpx.AsyncClient(base_url=str(fleet_cluster.url).rstrip("/")))
    try:
        (fleet,) = await cluster.fleets()
        assert fleet.key == "fleet/src" and list(fleet.rings) == RINGS
        report = fleet.intent(ZIP)
        assert report is not None and report["state"] == "Complete" and report["ring"] == "global"
        assert len(report["risk"]["factors"]) == 8
        assert [h["ring"] for h in report["ringHealth"]] == RINGS
        trail = await cluster.trail("fleet/src", ZIP)
        assert [h["ring"] for h in trail.history] == RINGS
        assert "Promoted" in {r["event"] for r in trail.audit}
    finally:
        await cluster.aclose()
    assert fleet_cluster.objects[DI, "fleet", ZIP]
