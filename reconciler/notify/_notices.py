"""What a notification says: a pass's Events as notices, and the rollout's commit status.

Notices come from the same Events the operator posts (:func:`reconciler.engine.intent_events`),
so a hold is told once per ring and set of denying rules, as its Event is. A hold that only
waits (soak time, device count) is not notified: time lifts it without anyone acting. A
hold on CAB approvals is told as ``cab-approval-needed`` with the ``eucora approve``
commands that lift it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from reconciler.domain.progress import Progress
from reconciler.engine import Event, IntentReport, PassResult
from reconciler.notify._config import Kind
from reconciler.policy import cab_rules, waiting_rules

_KIND = {
    "Promoted": Kind.PROMOTION,
    "PromotionHeld": Kind.HOLD,
    "HealthGateFailed": Kind.HALT,
    "RolledBack": Kind.ROLLBACK,
    "RolloutComplete": Kind.COMPLETE,
    "DriftCorrected": Kind.DRIFT_CORRECTED,
    "DriftDetected": Kind.DRIFT_REPORTED,
    "ApplyFailed": Kind.WRITE_FAILED,
}
_TITLE = {
    Kind.PROMOTION: "promoted",
    Kind.HOLD: "held",
    Kind.CAB_APPROVAL_NEEDED: "needs CAB approval",
    Kind.HALT: "halted",
    Kind.ROLLBACK: "rolled back",
    Kind.COMPLETE: "rollout complete",
    Kind.DRIFT_CORRECTED: "drift corrected",
    Kind.DRIFT_REPORTED: "drift reported",
    Kind.WRITE_FAILED: "write failed",
}
SEVERITY = {
    Kind.HALT: "error", Kind.ROLLBACK: "error", Kind.WRITE_FAILED: "error",
    Kind.HOLD: "warning", Kind.CAB_APPROVAL_NEEDED: "warning", Kind.DRIFT_REPORTED: "warning",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Notice:
    kind: Kind
    intent: str
    title: str
    text: str
    ring: str | None
    revision: str
    source: str
    reason: str  # the Event's reason
    rules: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    link: str = ""
    at: str = ""
    facts: tuple[tuple[str, str], ...] = field(default=())

    @property
    def severity(self) -> str:
        return SEVERITY.get(self.kind, "info")


def notices(
    report: IntentReport,
    events: Sequence[Event],
    *,
    revision: str,
    source: str,
    at: str,
    dashboard_url: str = "",
    fleet: str = "local",
) -> list[Notice]:
    """The notices for one intent's Events of a pass."""
    out = []
    for event in events:
        kind = _KIND.get(event.reason)
        if kind is None:
            continue
        commands: tuple[str, ...] = ()
        if kind is Kind.HOLD:
            if set(event.rules) <= waiting_rules():
                continue  # only waiting: soak time or devices will lift it
            if set(event.rules) & cab_rules():
                kind, commands = Kind.CAB_APPROVAL_NEEDED, report.approve_commands()
        label = f"{report.app} {report.version}"
        link = ""
        if dashboard_url:
            query = urlencode({"fleet": fleet, "name": report.name})
            link = f"{dashboard_url.rstrip('/')}/intent?{query}"
        facts = [("Intent", report.name), ("State", report.state.value),
                 ("Ring", report.ring or "none")]  # fmt: skip
        if kind in {Kind.HOLD, Kind.CAB_APPROVAL_NEEDED} and event.ring:
            facts.append(("Next ring", event.ring))
        facts += [("Risk", f"{report.risk_score:.1f} ({report.blast_radius})"),
                  ("Revision", revision[:12] or "working tree"), ("Source", source)]  # fmt: skip
        out.append(
            Notice(
                kind=kind, intent=report.name, title=f"{label} {_TITLE[kind]}",
                text=event.message, ring=event.ring, revision=revision, source=source,
                reason=event.reason, rules=event.rules, commands=commands, link=link, at=at,
                facts=tuple(facts),
            )
        )  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class RolloutStatus:
    """The commit status of a revision being rolled out."""

    state: str  # pending | success | failure
    description: str


def rollout_status(result: PassResult) -> RolloutStatus:
    """``failure`` when any intent halted, rolled back or failed a write; ``success`` when
    every intent is complete (or suspended); ``pending`` while rings progress or wait. The
    description changes only as intents complete or fail, so statuses are not posted on
    every pass."""
    failed = sorted(
        r.name
        for r in result.intents
        if r.state in {Progress.BLOCKED, Progress.ROLLED_BACK} or r.errors
    )
    done = {Progress.COMPLETE, Progress.SUSPENDED}
    complete = sum(1 for r in result.intents if r.state in done)
    summary = f"{complete} of {len(result.intents)} intents complete"
    if failed:
        return RolloutStatus("failure", _cut(f"{', '.join(failed)} failed · {summary}"))
    if complete == len(result.intents):
        return RolloutStatus("success", _cut(f"rolled out: {summary}"))
    return RolloutStatus("pending", _cut(f"rolling out: {summary}"))


def _cut(text: str, limit: int = 140) -> str:
    """GitHub refuses descriptions over 140 characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
