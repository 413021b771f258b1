"""``eucora maturity``: readiness for the next trust-maturity level, with its evidence.

Reads the fleet repo, the Git history of its FleetConfig (which commit set today's level,
and whether a trusted key signed it) and the deployment history the engine recorded (state
store, else audit log); the domain decides what the evidence supports. Raising the level
stays a reviewed, signed change in Git.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reconciler.cli._common import OutputFormat, command, console, fail, handle_errors, print_json
from reconciler.cli._trust import SignersOption
from reconciler.cli.governance import (
    AtOption,
    FormatOption,
    RepoOption,
    _load,
    _now,
)
from reconciler.domain.errors import SourceError
from reconciler.domain.evaluation.maturity import (
    Deployment,
    LevelChange,
    MaturityReport,
    assess_maturity,
)
from reconciler.engine import deployments_from_audit, deployments_from_state
from reconciler.gitops import GitProvenance

DEFAULT_STATE = Path(".eucora/state.db")
StateOption = Annotated[
    Path | None,
    typer.Option("--state", help="State store the engine recorded ring entries in."),
]
AuditOption = Annotated[
    Path | None,
    typer.Option("--audit", help="Audit log to read ring entries from (when no state store)."),
]
SHOWN = 20  # deployments listed in the text output; JSON lists every one


def _history(state: Path | None, audit: Path | None) -> tuple[list[Deployment] | None, str]:
    with handle_errors():
        if state is not None:
            return deployments_from_state(state), str(state)
        if audit is not None:
            return deployments_from_audit(audit), str(audit)
        if DEFAULT_STATE.is_file():
            return deployments_from_state(DEFAULT_STATE), str(DEFAULT_STATE)
    return None, ""


def _level_change(repo: Path, signers: Path | None, fleet_file: str) -> LevelChange | None:
    try:
        return GitProvenance(repo, signers).level_change(fleet_file)
    except SourceError:
        return None


@command("maturity")
def maturity(
    repo: RepoOption = Path(),
    state: StateOption = None,
    audit: AuditOption = None,
    signers: SignersOption = None,
    at: AtOption = None,
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Current trust-maturity level, readiness for the next, the evidence and what blocks it."""
    fleet_repo = _load(repo)
    fleet_file = fleet_repo.fleet.source.file if fleet_repo.fleet else "fleet.yaml"
    if state is not None and audit is not None:
        fail("give --state or --audit, not both")
    deployments, history_from = _history(state, audit)
    change = _level_change(repo, signers, fleet_file)
    report = assess_maturity(fleet_repo, _now(at), deployments=deployments, level_change=change)
    if output is OutputFormat.JSON:
        print_json(_json(report, history_from))
        return
    _text(report, history_from)


def _json(report: MaturityReport, history_from: str) -> dict[str, Any]:
    change = report.level_change
    return {
        "level": report.level,
        "mode": report.mode,
        "nextLevel": report.next_level,
        "ready": report.ready,
        "weeksAtLevel": report.weeks_at_level,
        "window": {
            "start": report.window_start.isoformat() if report.window_start else None,
            "end": report.window_end.isoformat(),
            "startFrom": report.since_source,
        },
        "levelChange": None
        if change is None
        else {
            "level": change.level,
            "commit": change.commit,
            "at": change.at.isoformat(),
            "signer": change.signer,
            "governed": change.governed,
        },
        "history": history_from or None,
        "deployments": {
            "count": len(report.deployments),
            "entries": [
                {"intent": d.intent, "ring": d.ring, "enteredAt": d.entered_at.isoformat()}
                for d in report.deployments
            ],
        },
        "incidents": {
            "attributable": [_incident(i) for i in report.incidents],
            "unattributed": [_incident(i) for i in report.unattributed],
        },
        "incidentRate": report.incident_rate,
        "criteria": [
            {"name": c.name, "required": c.required, "actual": c.actual, "met": c.met}
            for c in report.criteria
        ],
        "blocking": [c.name for c in report.blocking],
    }


def _incident(incident: Any) -> dict[str, Any]:
    return {
        "name": incident.name,
        "intent": incident.intent,
        "severity": incident.severity.value,
        "openedAt": incident.opened_at.isoformat(),
    }


def _text(report: MaturityReport, history_from: str) -> None:
    console.print(f"trust maturity: level {report.level} ({report.mode})")
    start = f"{report.window_start:%Y-%m-%d}" if report.window_start else "the beginning"
    change = report.level_change
    if change is not None:
        who = f"signed by {change.signer}" if change.governed else "not signed by a trusted key"
        console.print(
            f"level {change.level} set in {change.commit[:12]} on {change.at:%Y-%m-%d} ({who})"
        )
    console.print(
        f"evaluation window: {start} → {report.window_end:%Y-%m-%d} (from {report.since_source})"
    )
    if not report.history_known:
        console.print("deployment history: none given (--state or --audit)")
    else:
        rate = report.incident_rate
        shown = "n/a" if rate is None else f"{rate:.1%}"
        console.print(
            f"deployments: {len(report.deployments)} ring entries in the window (from "
            f"{history_from}); attributable incidents: {len(report.incidents)}; "
            f"incident rate: {shown}"
        )
        for d in report.deployments[:SHOWN]:
            console.print(f"  {d.entered_at:%Y-%m-%d %H:%M} {d.intent} → {d.ring}")
        if len(report.deployments) > SHOWN:
            console.print(f"  … {len(report.deployments) - SHOWN} more (--format json lists all)")
    for label, incidents in (
        ("attributable", report.incidents),
        ("unattributed", report.unattributed),
    ):
        for i in incidents:
            console.print(
                f"  {label} incident {i.name} ({i.severity.value}, {i.intent}) "
                f"opened {i.opened_at:%Y-%m-%d}"
            )
    if report.next_level is None:
        console.print("already at the highest level")
        return
    table = Table(title=f"Criteria for level {report.next_level} ({report.next_mode})")
    for column in ("Criterion", "Required", "Actual", "Met"):
        table.add_column(column)
    for c in report.criteria:
        table.add_row(
            c.name, c.required, c.actual, "[green]yes[/green]" if c.met else "[red]no[/red]"
        )
    console.print(table)
    if report.ready:
        console.print("ready: raise spec.trustMaturity.level in a reviewed, signed PR")
    else:
        console.print("not ready: " + ", ".join(c.name for c in report.blocking))
