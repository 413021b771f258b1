"""``eucora demo`` tells its whole story from what the passes report."""

from __future__ import annotations

from pathlib import Path

from reconciler.domain.progress import Progress
from reconciler.engine._demo import run_demo


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
    drift = [text for kind, text in events if kind == "drift"]
    assert any("reverted" in t and "7zip-24.08" in t for t in drift)
    assert any("not written" in t and "zoom-6.2.10" in t for t in drift)
