"""``eucora plan --cluster``: ring state read from DeploymentIntent statuses via kubeconfig.

The emulated API server holds intents as the operator left them (a status with the
engine's record); the plan, run like a CI job with a kubeconfig, starts from those rings.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from reconciler.cli import app
from tests.conftest import EXAMPLE_REPO
from tests.operator.conftest import write_kubeconfig

DI = "eucora.io/v1alpha1/deploymentintents"
runner = CliRunner()


def _intent(name: str, ring: str, entered: datetime, source: str = "src") -> dict[str, Any]:
    stamp = entered.isoformat().replace("+00:00", "Z")
    reached = ["lab", "canary", "pilot"][: ["lab", "canary", "pilot"].index(ring) + 1]
    return {
        "apiVersion": "eucora.io/v1alpha1",
        "kind": "DeploymentIntent",
        "metadata": {"name": name, "namespace": "fleet", "resourceVersion": "1",
                     "labels": {"eucora.io/source": source}},
        "spec": {},
        "status": {
            "stateAsOf": stamp, "currentRing": ring, "ringEnteredAt": stamp,
            "reachedRings": reached,
            "ringHistory": [{"ring": r, "enteredAt": stamp, "decision": "promoted"} for r in reached],
        },
    }  # fmt: skip


async def test_plan_starts_from_the_rings_the_operator_recorded(
    cluster: Any, tmp_path: Path
) -> None:
    entered = datetime.now(UTC) - timedelta(days=3)
    cluster.objects[DI, "fleet", "zoom-6.2.10"] = _intent("zoom-6.2.10", "pilot", entered)
    cluster.objects[DI, "fleet", "slack-4.41.105"] = _intent("slack-4.41.105", "canary", entered)
    cluster.objects[DI, "fleet", "7zip-24.08"] = _intent("7zip-24.08", "canary", entered, "other")
    config = write_kubeconfig(tmp_path / "kubeconfig", str(cluster.url).rstrip("/"))
    args = ["plan", str(EXAMPLE_REPO), "--cluster", "--kubeconfig", str(config),
            "-n", "fleet", "--source", "src", "-f", "json",
            "--signers", str(EXAMPLE_REPO.parent / "keys" / "allowed_signers")]  # fmt: skip
    result = await asyncio.to_thread(runner.invoke, app, args)
    assert result.exit_code == 0, result.output
    intents = {i["name"]: i for i in json.loads(result.stdout)["intents"]}
    assert intents["zoom-6.2.10"]["ring"] == "pilot"
    assert intents["slack-4.41.105"]["ring"] == "canary"
    # no reports yet in pilot, and no uninstall path for the rollback-validated gate of broad
    assert intents["zoom-6.2.10"]["verdict"]["kind"] == "held"
    # another source's intent, and intents the cluster has no status for, start afresh
    assert intents["7zip-24.08"]["ring"] == "lab"
    assert intents["firefox-132.0.2"]["ring"] == "lab"


async def test_no_cluster_is_one_line_and_exit_5(tmp_path: Path) -> None:
    config = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:9")
    args = ["plan", str(EXAMPLE_REPO), "--cluster", "--kubeconfig", str(config), "-f", "json"]
    result = await asyncio.to_thread(runner.invoke, app, args)
    assert result.exit_code == 5
    error = json.loads(result.stdout)["error"]
    assert error["message"].startswith("InvalidConfiguration: no cluster: cannot reach")
    assert "Traceback" not in result.stderr
    args = ["plan", str(EXAMPLE_REPO), "--cluster", "--kubeconfig", str(tmp_path / "nope")]
    missing = await asyncio.to_thread(runner.invoke, app, args)
    assert missing.exit_code == 5 and "no cluster: kubeconfig" in missing.stderr
