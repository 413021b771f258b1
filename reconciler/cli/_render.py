"""Rendering pass results for people: ring progress lines, tables, Markdown for PRs."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from reconciler.domain.progress import Progress
from reconciler.engine import IntentReport, PassResult

DONE, WAIT, STOP, BACK, LATER = "✅", "⏳", "⛔", "↩", "·"


def ring_line(report: IntentReport, rings: Sequence[str]) -> str:
    """``lab ✅ canary ✅ pilot ⏳ broad · global ·`` — where the intent stands."""
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
            mark = WAIT
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
    for column in ("Drift", "Actions"):
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
            drift_cell(report),
            actions_cell(report),
        )
    return table


def markdown_plan(
    result: PassResult, *, blocking: dict[str, list[str]], changed: bool, tenant: str
) -> str:
    """The PR comment: a summary line, then one collapsible section per intent."""
    writes = sum(len(r.writes) for r in result.intents)
    blocked = sum(1 for v in blocking.values() if v)
    scope = "changed intent(s)" if changed else "intent(s)"
    lines = [
        f"**EUCORA plan** — {len(result.intents)} {scope} · {writes} tenant write(s) against "
        f"{tenant} · {'✅ no blocking findings' if not blocked else f'❌ {blocked} blocked'}",
        "",
    ]
    if result.pending:
        lines.append("**❌ Governance changes pending** (the trusted versions apply until then):")
        lines += [
            f"- {p.kind} `{p.name}` → `{p.digest[:19]}`: {'; '.join(p.loosenings)}. "
            f"Needs {p.needs}."
            for p in result.pending
        ]
        lines.append("")
    for report in result.intents:
        problems = blocking.get(report.name, [])
        icon = "❌" if problems else "✅"
        lines += [
            "<details>",
            f"<summary>{icon} <b>{report.name}</b> — risk {report.risk_score:.1f} "
            f"({report.blast_radius}) · {ring_line(report, result.rings)}</summary>",
            "",
        ]
        lines += [f"- ❌ {p}" for p in problems]
        lines += [
            f"- **App:** {report.app} {report.version} ({', '.join(report.platforms)}), "
            f"until `{report.until}`, digest `{report.digest[:19]}…`",
            f"- **Risk:** {report.risk_score:.1f} — "
            + "; ".join(
                f"{n} +{c:.1f} ({r})" if r else f"{n} +{c:.1f}" for n, c, r in report.risk_factors
            ),
            f"- **CAB:** {report.cab_decision.replace('_', ' ')}"
            + (
                f" for {', '.join(report.cab_rings)}; {report.approvals_valid} valid approval(s) "
                f"of {report.approvals_required} required"
                + (
                    f", approved: {', '.join(report.approved_rings)}"
                    if report.approved_rings
                    else ""
                )
                if report.cab_rings
                else ""
            ),
            f"- **State:** {report.state.value} — {report.reason}",
        ]
        gate = report.last_gate
        if gate is not None and not gate.result.allow:
            lines.append(f"- **Gate for {gate.ring or gate.decision}:**")
            lines += [f"  - `{v.id}` {v.msg}" for v in gate.result.deny]
        for warning in (w for g in report.gates for w in g.result.warn):
            lines.append(f"- ⚠️ `{warning.id}` {warning.msg}")
        writes_list = report.writes
        if writes_list:
            lines.append("- **Actions:**")
            lines += [
                f"  - {a.platform.value if a.platform else ''} {a.describe()} — {a.reason}"
                for a in writes_list
            ]
        else:
            lines.append("- **Actions:** none")
        lines += ["", "</details>", ""]
    if result.orphans:
        lines.append("**Objects no intent owns:**")
        lines += [f"- {a.platform.value if a.platform else ''} {a.reason}" for a in result.orphans]
    return "\n".join(lines).rstrip() + "\n"
