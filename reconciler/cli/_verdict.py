"""What will really happen to an intent, in one word and icon: the plan's verdicts.

Read from a pass's :class:`~reconciler.engine.IntentReport` (state, last gate, approvals,
drift) and the PR's blocking findings. The policies decide; this only names the outcome
for people by the rule ids that denied (stable ids, see ``policies/README.md``; which of them
only wait, or wait for the CAB, the policies' METADATA says), so a plan comment shows ✋ for
an intent held by an open incident instead of ✅.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from reconciler.domain.progress import Progress
from reconciler.engine import IntentReport
from reconciler.policy import cab_rules, waiting_rules


class Kind(enum.StrEnum):
    BLOCKED = "blocked"
    HALTED = "halted"
    ROLLED_BACK = "rolled-back"
    SUSPENDED = "suspended"
    CAB_PENDING = "cab-pending"
    HELD = "held"
    WAITS = "waits"
    PROGRESSES = "progresses"
    COMPLETE = "complete"


ICON = {
    Kind.BLOCKED: "❌",
    Kind.HALTED: "🛑",
    Kind.ROLLED_BACK: "↩️",
    Kind.SUSPENDED: "⏸️",
    Kind.CAB_PENDING: "🔏",
    Kind.HELD: "✋",
    Kind.WAITS: "⏳",
    Kind.PROGRESSES: "▶️",
    Kind.COMPLETE: "✅",
}

LEGEND = (
    (Kind.PROGRESSES, "enters the next ring in this pass"),
    (Kind.WAITS, "waits for soak time or install reports; goes on by itself"),
    (
        Kind.HELD,
        "held by an open incident, a freeze, the risk threshold, a low success rate or "
        "autoPromote: false",
    ),
    (Kind.CAB_PENDING, "waits for CAB approvals (what is missing is named)"),
    (Kind.HALTED, "halted in its ring by its health gate (a P1, collapsed success)"),
    (Kind.ROLLED_BACK, "rolled back"),
    (Kind.SUSPENDED, "rollout.suspend: observed, never written"),
    (Kind.COMPLETE, "at rollout.until; nothing to do"),
    (Kind.BLOCKED, "blocking finding: fix the PR (admission deny, package problem, error)"),
)


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: Kind
    detail: str

    @property
    def icon(self) -> str:
        return ICON[self.kind]

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "detail": self.detail}


def _denials(report: IntentReport) -> tuple[set[str], str, str]:
    gate = report.last_gate
    if gate is None or gate.result.allow:
        return set(), "", ""
    ids = {v.id for v in gate.result.deny}
    messages = "; ".join(v.msg for v in gate.result.deny)
    return ids, messages, gate.ring or ""


def cab_missing(report: IntentReport, ring: str) -> str:
    """``1 of 3 valid approval(s) for pilot: 2 more needed`` — what the CAB still owes."""
    missing = max(report.approvals_required - report.approvals_valid, 0)
    text = f"{report.approvals_valid} of {report.approvals_required} valid approval(s)"
    if ring:
        text += f" for {ring}"
    if missing:
        text += f": {missing} more needed"
    return text


def verdict(report: IntentReport, blocking: list[str]) -> Verdict:
    if blocking:
        return Verdict(
            Kind.BLOCKED, blocking[0] + (f" (+{len(blocking) - 1})" if len(blocking) > 1 else "")
        )
    state = report.state
    if state is Progress.SUSPENDED:
        return Verdict(Kind.SUSPENDED, f"suspended at {report.ring or 'no ring'}")
    if state is Progress.ROLLED_BACK:
        return Verdict(Kind.ROLLED_BACK, report.reason)
    if state is Progress.BLOCKED:
        return Verdict(Kind.HALTED, report.reason)
    if state is Progress.COMPLETE:
        return Verdict(Kind.COMPLETE, f"at {report.ring}")
    if state is Progress.PROGRESSING:
        return Verdict(Kind.PROGRESSES, f"enters {report.ring}")
    ids, messages, ring = _denials(report)
    if ids & cab_rules():
        return Verdict(Kind.CAB_PENDING, f"{cab_missing(report, ring)} — {messages}")
    if ids and ids <= waiting_rules():
        return Verdict(Kind.WAITS, messages)
    return Verdict(Kind.HELD, messages or report.reason)


def legend_line() -> str:
    return " · ".join(f"{ICON[kind]} {kind.value}: {text}" for kind, text in LEGEND)
