"""Rendering pass results for people: ring progress lines, tables, Markdown for PRs."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from reconciler.domain.gates.progress import Progress
from reconciler.engine import IntentReport, PassResult

DONE, WAIT, STOP, BACK, LATER = "✅", "⏳", "⛔", "↩", "·"


def ring_line(report: IntentReport, rings: Sequence[str], *, next_mark: str = WAIT) -> str:
    """``lab ✅ canary ✅ pilot ⏳ broad · global ·`` — where the intent stands.

    ``next_mark`` marks the ring after the current one (a verdict's icon: ✋ held, 🔏 CAB).
    """
    reached = rings.index(report.ring) if report.ring in rings else -1
    until = rings.index(report.until) if report.until in rings else len(rings) - 1
    parts = []
    for index, ring in enumerate(rings):
        if index > until:
            break
        if report.state is Progress.ROLLED_BACK and index <= reached:
            mark = BACK
        elif report.state is Progress.BLOCKED and index == reached:
            mark = STOP
        elif index <= reached:
            mark = DONE
        elif index == reached + 1 and report.state not in {Progress.BLOCKED, Progress.SUSPENDED}:
            mark = next_mark
        else:
            mark = LATER
        parts.append(f"{ring} {mark}")
    return " ".join(parts)


def drift_cell(report: IntentReport) -> str:
    if not report.drift:
        return "—"
    corrected = sum(1 for d in report.drift if d.corrected)
    if corrected == len(report.drift):
        return f"{corrected} corrected"
    return f"{len(report.drift) - corrected} reported" + (
        f", {corrected} corrected" if corrected else ""
    )


_SHORT = {
    "create-app": "create",
    "upload-content": "upload",
    "update-app": "update",
    "set-assignments": "assign",
    "delete-app": "delete",
}


def actions_cell(report: IntentReport) -> str:
    writes = report.writes
    if not writes:
        return "—"
    kinds: dict[str, int] = {}
    for action in writes:
        label = _SHORT.get(action.kind.value, action.kind.value)
        kinds[label] = kinds.get(label, 0) + 1
    return " ".join(f"{k}×{n}" if n > 1 else k for k, n in kinds.items())


def compliance_cell(report: IntentReport) -> str:
    """``lab 93% (online 40/40, airGapped 2/6)``: time to compliance of the gated ring."""
    compliance = report.compliance
    if compliance is None or compliance.share is None:
        return "—"
    classes = ", ".join(
        f"{c.connectivity.value} {c.compliant}/{c.targeted}" for c in compliance.classes
    )
    return f"{compliance.ring} {compliance.share:.0%} ({classes})"


def ring_cell(report: IntentReport, rings: Sequence[str]) -> str:
    """``canary 2/5`` — the current ring and how far along the fleet's rings it is."""
    if report.ring is None:
        return "—"
    position = rings.index(report.ring) + 1 if report.ring in rings else 0
    until = rings.index(report.until) + 1 if report.until in rings else len(rings)
    return f"{report.ring} {position}/{until}"


def summary_table(result: PassResult, *, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("Intent", no_wrap=True)
    table.add_column("Ring", no_wrap=True)
    table.add_column("State", no_wrap=True)
    table.add_column("Risk", justify="right")
    table.add_column("Gate", overflow="fold", min_width=18)
    for column in ("In time", "Drift", "Actions"):
        table.add_column(column, overflow="fold")
    for report in result.intents:
        state = report.state.value
        if report.errors:
            state = f"[red]{state} (errors)[/red]"
        table.add_row(
            report.name,
            ring_cell(report, result.rings),
            state,
            f"{report.risk_score:.1f}",
            escape(report.gate_summary()),
            compliance_cell(report),
            drift_cell(report),
            actions_cell(report),
        )
    return table
