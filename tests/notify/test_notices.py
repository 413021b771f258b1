"""Each Event a pass makes becomes the notice its kind says, on every channel's shape."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine import Event
from reconciler.notify import Kind, notices
from reconciler.notify import _payloads as payloads
from tests.engine._harness import example_git, harness, keep_only

ZIP = "7zip-24.08"


async def test_every_event_reason_maps_to_its_notice(tmp_path: Path) -> None:
    repo = example_git(tmp_path / "cache", tmp_path / "fleet")
    keep_only(repo, [ZIP, "7zip-23.01"])
    async with harness(repo, tmp_path) as h:
        result = await h.run()
    report = result.report(ZIP)
    events = [
        Event("Normal", "Promoted", "entered lab", ZIP, "lab"),
        Event("Normal", "PromotionHeld", "held: soak", ZIP, "canary", ("soak-time",)),
        Event("Warning", "PromotionHeld", "held: rate", ZIP, "canary",
              ("min-success-rate", "soak-time")),
        Event("Warning", "PromotionHeld", "held: cab", ZIP, "pilot", ("cab-approval",)),
        Event("Warning", "HealthGateFailed", "halted in lab", ZIP, "lab", ("success-collapsed",)),
        Event("Warning", "RolledBack", "rolled back", ZIP, "lab"),
        Event("Normal", "RolloutComplete", "reached global", ZIP, "global"),
        Event("Normal", "DriftCorrected", "assignment reverted", ZIP, "lab"),
        Event("Warning", "DriftDetected", "assignment reported", ZIP, "lab"),
        Event("Warning", "ApplyFailed", "create app: 403", ZIP, "lab"),
        Event("Warning", "EditedOutsideGit", "edited", ZIP, None),
    ]  # fmt: skip
    told = notices(report, events, revision=result.revision, source="s", at="t",
                   dashboard_url="https://d.example/")  # fmt: skip
    assert [n.kind for n in told] == [
        Kind.PROMOTION,
        Kind.HOLD,
        Kind.CAB_APPROVAL_NEEDED,
        Kind.HALT,
        Kind.ROLLBACK,
        Kind.COMPLETE,
        Kind.DRIFT_CORRECTED,
        Kind.DRIFT_REPORTED,
        Kind.WRITE_FAILED,
    ]  # fmt: skip  (the waiting-only hold and EditedOutsideGit are not told)
    severities = {n.kind: n.severity for n in told}
    assert severities[Kind.ROLLBACK] == severities[Kind.WRITE_FAILED] == "error"
    assert severities[Kind.HOLD] == "warning" and severities[Kind.PROMOTION] == "info"
    rollback = next(n for n in told if n.kind is Kind.ROLLBACK)
    card = payloads.teams(rollback)["attachments"][0]["content"]
    assert card["body"][0]["color"] == "Attention"
    assert card["body"][0]["text"] == f"{report.app} {report.version} rolled back"
    assert rollback.link == f"https://d.example/intent?fleet=local&name={ZIP}"
    failed = payloads.slack(next(n for n in told if n.kind is Kind.WRITE_FAILED))
    assert failed["blocks"][1]["text"]["text"] == ":red_circle: create app: 403"
    assert payloads.event(told[0])["kind"] == "promotion"


def test_slack_text_from_git_cannot_make_links_or_mentions() -> None:
    assert payloads.slack_escape("<!channel> & <https://x|y>") == (
        "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
    )
