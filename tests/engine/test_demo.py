"""``eucora demo`` tells its whole story from what the passes report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.compose.demo import run_demo
from reconciler.domain.progress import Progress
from reconciler.engine import StateStore
from tests.conftest import ROOT


# the whole demo: ~20 passes against three providers' tenants; minutes under load
@pytest.mark.timeout(600)
async def test_the_demo_reaches_steady_state_with_every_beat_told(tmp_path: Path) -> None:
    events: list[tuple[str, str]] = []
    result = await run_demo(tmp_path, lambda kind, text: events.append((kind, text)))
    assert set(result.told) == {
        "admin-waits", "browser-breaks", "browser-held", "zip-complete", "zip-drift", "zoom-drift",
        "sap-halted",
    }  # fmt: skip
    final = {r.name: r for r in result.last.intents}
    assert final["7zip-24.08"].state is Progress.COMPLETE
    assert final["chrome-131.0.6778"].ring == "canary"
    assert final["rdm-admin-2024.3"].ring == "pilot"
    assert final["sap-gui-8.00"].state is Progress.BLOCKED and final["sap-gui-8.00"].ring == "lab"
    assert final["zoom-6.2.10"].drift and not final["zoom-6.2.10"].drift[0].corrected
    assert result.quiet_writes == 0 and result.audit.ok
    providers = {text for kind, text in events if kind == "providers"}
    assert "7zip-24.08: windows via intune, macos via jamf" in providers
    assert "rectangle-0.85: macos via intune-macos" in providers
    # on the Macs enrolled in Intune: its encrypted .pkg committed, installed in lab
    assert final["rectangle-0.85"].ring == "lab"
    assert final["rectangle-0.85"].telemetry.installed > 0
    drift = [text for kind, text in events if kind == "drift"]
    assert any("reverted" in t and "7zip-24.08" in t for t in drift)
    assert any("not written" in t and "zoom-6.2.10" in t for t in drift)
    # trust maturity from what the passes recorded: every ring entry is a deployment
    assert any(kind == "maturity" and "deployments since" in t for kind, t in events)
    store = StateStore(tmp_path / ".eucora" / "state.db")
    entries = store.ring_entries()
    store.close()
    assert len(entries) > 10
    shown = CliRunner().invoke(
        app,
        [
            "maturity", "--repo", str(tmp_path / "fleet"),
            "--state", str(tmp_path / ".eucora" / "state.db"),
            "--signers", str(ROOT / "examples" / "keys" / "allowed_signers"),
            "--at", result.last.at.isoformat(), "-f", "json",
        ],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    assert body["deployments"]["count"] == len(entries)
    assert body["levelChange"]["governed"] is True  # the CAB chair signed the level change
    assert body["window"]["start"].startswith("2026-09-14")
    assert body["incidentRate"] == len(body["incidents"]["attributable"]) / len(entries)
    rate = next(c for c in body["criteria"] if c["name"] == "incident rate")
    assert f"/ {len(entries)} deployments" in rate["actual"]
    # incidents opened before any recorded deployment of their intent are listed, not counted
    assert {i["name"] for i in body["incidents"]["unattributed"]}
    text = CliRunner().invoke(
        app,
        ["maturity", "--repo", str(tmp_path / "fleet"),
         "--state", str(tmp_path / ".eucora" / "state.db"), "--at", result.last.at.isoformat()],
    )  # fmt: skip
    assert f"deployments: {len(entries)} ring entries in the window" in text.output
