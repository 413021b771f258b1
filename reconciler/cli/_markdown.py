"""The plan as one Markdown PR comment: sticky marker, verdicts, legend, size cap.

``eucora plan --format markdown`` prints it; the GitHub Action and the GitLab template post
it as one comment they find again by :data:`MARKER` and update in place. GitHub refuses a
comment over 65,536 characters (a fleet.yaml change puts every intent in the plan), so the
text is cut to ``max_chars``: first the per-intent details go, then table rows, and a line
links the full plan (the job's artifact).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.cli._render import compliance_cell, ring_line
from reconciler.cli._verdict import ICON, Kind, Verdict, legend_line
from reconciler.domain.planning.plan import DriftItem
from reconciler.engine import IntentReport, PassResult

MARKER = "<!-- eucora-plan -->"
#: GitHub's limit is 65,536 characters a comment; leave room for the poster's own lines
DEFAULT_MAX_CHARS = 60_000


@dataclass(frozen=True, slots=True)
class PlanContext:
    tenant: str
    changed: bool
    warnings: Sequence[str] = ()
    full_plan_url: str = ""
    max_chars: int = DEFAULT_MAX_CHARS


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    text = text.replace("`", "'").replace("\n", " ")
    return text if len(text) <= 120 else text[:117] + "…"


def drift_lines(drift: Sequence[DriftItem]) -> list[str]:
    """Each drifted field with what Git expects and what the tenant has."""
    lines = []
    for item in drift:
        what = (
            "will be corrected"
            if item.corrected
            else f"not corrected (driftPolicy {item.policy.value})"
        )
        icon = "🔧" if item.corrected else "⚠️"
        lines.append(
            f"  - {icon} {item.platform.value} `{item.field}`: expected `{_value(item.desired)}`, "
            f"observed `{_value(item.observed)}` — {what}"
        )
    return lines


def _header(result: PassResult, verdicts: dict[str, Verdict], context: PlanContext) -> list[str]:
    counts = Counter(v.kind for v in verdicts.values())
    scope = "changed intent(s)" if context.changed else "intent(s)"
    tally = " · ".join(f"{ICON[k]} {counts[k]} {k.value}" for k in Kind if counts[k])
    reported = sum(len(r.writes) for r in result.intents)
    writes = f"**{result.planned_writes} tenant write(s)** planned"
    if reported != result.planned_writes:
        writes += f" ({reported} for the intents below)"
    lines = [
        MARKER,
        "### EUCORA plan",
        "",
        f"{len(result.intents)} {scope} against {context.tenant} · {writes} · "
        + (tally or "nothing to plan"),
        "",
    ]
    lines += [f"> ⚠️ {w}" for w in context.warnings]
    if context.warnings:
        lines.append("")
    if result.pending:
        lines.append("**❌ Governance changes pending** (the trusted versions apply until then):")
        lines += [
            f"- {p.kind} `{p.name}` → `{p.digest[:19]}`: {'; '.join(p.loosenings)}. "
            f"Needs {p.needs}."
            for p in result.pending
        ]
        lines.append("")
    return lines


def _row(report: IntentReport, verdict: Verdict) -> str:
    detail = verdict.detail.replace("|", "\\|").replace("\n", " ")
    if len(detail) > 160:
        detail = detail[:157] + "…"
    drift = f" · drift {len(report.drift)}" if report.drift else ""
    ring = f"{report.ring or '—'} → {report.until}"
    return (
        f"| {verdict.icon} | `{report.name}` | {ring} | {verdict.kind.value}: {detail}{drift} "
        f"| {len(report.writes)} |"
    )


def next_mark(verdict: Verdict) -> str:
    """The next ring's mark in the ring line: why it is not entered, or · when it is later."""
    return verdict.icon if verdict.kind in {Kind.HELD, Kind.WAITS, Kind.CAB_PENDING} else "·"


def _details(
    report: IntentReport, verdict: Verdict, rings: Sequence[str], problems: list[str]
) -> list[str]:
    lines = [
        "<details>",
        f"<summary>{verdict.icon} <b>{report.name}</b> — {verdict.kind.value} · risk "
        f"{report.risk_score:.1f} ({report.blast_radius}) · "
        f"{ring_line(report, rings, next_mark=next_mark(verdict))}</summary>",
        "",
        f"- **Verdict:** {verdict.icon} {verdict.kind.value} — {verdict.detail}",
    ]
    lines += [f"- ❌ {p}" for p in problems]
    lines += [
        f"- **App:** {report.app} {report.version} ({', '.join(report.platforms)}), "
        f"until `{report.until}`, digest `{report.digest[:19]}…`",
        "- **Risk:** "
        + f"{report.risk_score:.1f} — "
        + "; ".join(
            f"{n} +{c:.1f} ({r})" if r else f"{n} +{c:.1f}" for n, c, r in report.risk_factors
        ),
        f"- **CAB:** {report.cab_decision.replace('_', ' ')}"
        + (
            f" for {', '.join(report.cab_rings)}; {report.approvals_valid} valid approval(s) "
            f"of {report.approvals_required} required"
            + (f", approved: {', '.join(report.approved_rings)}" if report.approved_rings else "")
            if report.cab_rings
            else ""
        ),
        f"- **State:** {report.state.value} — {report.reason}",
    ]
    if report.compliance is not None and report.compliance.share is not None:
        lines.append(f"- **Time to compliance:** {compliance_cell(report)}")
    gate = report.last_gate
    if gate is not None and not gate.result.allow:
        lines.append(f"- **Gate for {gate.ring or gate.decision}:**")
        lines += [f"  - `{v.id}` {v.msg}" for v in gate.result.deny]
    lines += [f"- ⚠️ `{w.id}` {w.msg}" for g in report.gates for w in g.result.warn]
    if report.drift:
        lines.append("- **Drift:**")
        lines += drift_lines(report.drift)
    if report.writes:
        lines.append("- **Actions:**")
        lines += [
            f"  - {a.platform.value if a.platform else ''} {a.describe()} — {a.reason}"
            for a in report.writes
        ]
    else:
        lines.append("- **Actions:** none")
    return [*lines, "", "</details>", ""]


def markdown_plan(
    result: PassResult,
    *,
    blocking: dict[str, list[str]],
    verdicts: dict[str, Verdict],
    context: PlanContext,
) -> str:
    """The PR comment; never longer than ``context.max_chars``."""
    header = _header(result, verdicts, context)
    table = ["| | Intent | Ring → until | Verdict | Writes |", "|---|---|---|---|---|"]
    rows = [_row(r, verdicts[r.name]) for r in result.intents]
    details = [
        line
        for r in result.intents
        for line in _details(r, verdicts[r.name], result.rings, blocking.get(r.name, []))
    ]
    orphans = []
    if result.orphans:
        orphans = (
            ["**Objects no intent owns:**"]
            + [f"- {a.platform.value if a.platform else ''} {a.reason}" for a in result.orphans]
            + [""]
        )
    legend = ["<sub>" + legend_line() + "</sub>", ""]
    full = "\n".join([*header, *table, *rows, "", *details, *orphans, *legend]).rstrip() + "\n"
    if len(full) <= context.max_chars:
        return full
    link = f"[the full plan]({context.full_plan_url})" if context.full_plan_url else "the full plan"
    note = f"_Cut to fit a comment: per-intent details are in {link}._"
    kept: list[str] = []
    budget = context.max_chars - len("\n".join([*header, *table, "", note, "", *legend])) - 200
    for row in rows:
        if budget - len(row) - 1 < 0:
            break
        kept.append(row)
        budget -= len(row) + 1
    if len(kept) < len(rows):
        note = (
            f"_Cut to fit a comment: {len(rows) - len(kept)} more intent(s) and every intent's "
            f"details are in {link}._"
        )
    return "\n".join([*header, *table, *kept, "", note, "", *legend]).rstrip() + "\n"
