"""``eucora risk``, ``eucora cab status``, ``eucora approve``, ``eucora example init``:
governance on the command line (``eucora maturity`` lives in :mod:`.maturity`)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reconciler.cli._approve_checks import refuse_unfit_approval, removed_on_failure
from reconciler.cli._cab_next import next_commands, next_json, print_next, ring_needs
from reconciler.cli._common import (
    EXIT_FINDINGS,
    OutputFormat,
    app,
    command,
    console,
    fail,
    handle_errors,
    print_json,
)
from reconciler.cli._trust import (
    SignersOption,
    TrustRootOption,
    governed_view,
    pending_json,
    trust_root,
)
from reconciler.domain.documents.loader import load_repo
from reconciler.domain.documents.models import FleetRepo, parse_datetime
from reconciler.domain.documents.resources import data_dir
from reconciler.domain.errors import EucoraError
from reconciler.domain.evaluation.governance import (
    GovernanceContext,
    IntentGovernance,
    evaluate_governance,
)
from reconciler.domain.evaluation.governed import Resolution
from reconciler.gitops import build_example_repo, commit_signed, identity, signed_document

RepoOption = Annotated[Path, typer.Option("--repo", "-r", help="Fleet repo directory.")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f")]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="Evaluate at this RFC 3339 time instead of now (audits)."),
]

cab_app = typer.Typer(help="CAB approvals: status of an intent's approvals.", no_args_is_help=True)
app.add_typer(cab_app, name="cab")
example_app = typer.Typer(help="The example fleet repo.", no_args_is_help=True)
app.add_typer(example_app, name="example")


def _now(at: str | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    try:
        return parse_datetime(at)
    except ValueError:
        fail(f"--at {at!r} is not an RFC 3339 time with a zone")


def _load(repo: Path) -> FleetRepo:
    with handle_errors():
        result = load_repo(repo)
    if result.repo.fleet is None or result.repo.risk_model is None:
        fail(
            f"{repo}: no valid FleetConfig with its risk model (run `eucora validate`)",
            EXIT_FINDINGS,
        )
    return result.repo


def _intent(repo: FleetRepo, name: str, where: Path) -> None:
    if name not in repo.intents:
        fail(f"no valid intent named {name!r} in {where}", EXIT_FINDINGS)


@command("risk")
def risk(
    intent: Annotated[str, typer.Argument(help="Intent name.")],
    repo: RepoOption = Path(),
    at: AtOption = None,
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Risk score of an intent, the factors behind it, and what it needs from the CAB."""
    fleet_repo = _load(repo)
    _intent(fleet_repo, intent, repo)
    result = evaluate_governance(fleet_repo, intent, GovernanceContext(), _now(at))
    assessment, need = result.risk, result.need
    if output is OutputFormat.JSON:
        print_json(
            {
                "intent": intent,
                "digest": result.digest,
                "model": assessment.model,
                "score": assessment.score,
                "blastRadius": {
                    "declared": assessment.classification.declared.value,
                    "effective": assessment.classification.effective.value,
                    "reasons": list(assessment.classification.reasons),
                },
                "decision": need.decision.value,
                "autoApproveThreshold": need.auto_approve_threshold,
                "exceptionThreshold": need.exception_threshold,
                "cabRings": list(need.rings),
                "quorum": need.quorum,
                "roles": list(need.roles),
                "reasons": list(need.reasons),
                "factors": [
                    {
                        "name": f.name,
                        "weight": f.weight,
                        "value": f.value,
                        "contribution": f.contribution,
                        "source": f.source,
                        "reason": f.reason,
                    }
                    for f in assessment.factors
                ],
            }
        )
        return
    table = Table(title=f"{intent}: risk {assessment.score} (model {assessment.model})")
    for column, justify in (("Factor", "left"), ("Weight", "right"), ("Value", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("Points", justify="right", style="bold")
    table.add_column("Why")
    for f in assessment.factors:
        table.add_row(
            f.name, f"{f.weight:.2f}", f"{f.value:.2f}", f"{f.contribution:.2f}", f.reason
        )
    console.print(table)
    classification = assessment.classification
    console.print(
        f"blast radius: {classification.effective.value}"
        + (f" (declared {classification.declared.value})" if classification.raised else "")
    )
    for reason in classification.reasons:
        console.print(f"  raised by {reason}")
    console.print(f"decision: [bold]{need.decision.value}[/bold]")
    for reason in need.reasons:
        console.print(f"  {reason}")
    if need.rings:
        roles = f", roles {', '.join(need.roles)}" if need.roles else ""
        console.print(f"CAB approval for {', '.join(need.rings)}: quorum {need.quorum}{roles}")


def _status_json(result: IntentGovernance) -> dict[str, Any]:
    return {
        "intent": result.intent,
        "digest": result.digest,
        "decision": result.need.decision.value,
        "required": {
            "quorum": result.need.quorum,
            "roles": list(result.need.roles),
            "rings": list(result.need.rings),
        },
        "approvals": [
            {
                "file": v.approval.source.file,
                "approver": v.approval.approver,
                "valid": v.valid,
                "reason": v.reason.value,
                "detail": v.detail,
                "rings": list(v.approval.rings),
                "exception": v.approval.exception,
            }
            for v in result.approvals
        ],
        "exceptions": [
            {
                "file": e.exception.source.file,
                "name": e.exception.name,
                "valid": e.valid,
                "reason": e.reason.value,
                "detail": e.detail,
                "approvers": list(e.approvers),
            }
            for e in result.exceptions
        ],
        "approvedRings": list(result.approved_rings),
    }


def _effective(resolution: Resolution, loaded_ok: bool, repo: Path) -> FleetRepo:
    if not loaded_ok:
        fail(f"{repo}: the committed fleet repo has errors (run `eucora validate`)", EXIT_FINDINGS)
    if not resolution.usable:
        needs = "; ".join(f"{p.kind} {p.name}: {p.needs}" for p in resolution.pending)
        fail(f"no trusted FleetConfig and risk model: {needs}", EXIT_FINDINGS)
    return resolution.repo


@cab_app.command("status")
def cab_status(
    intent: Annotated[str, typer.Argument(help="Intent name.")],
    repo: RepoOption = Path(),
    signers: SignersOption = None,
    trust: TrustRootOption = None,
    state: Annotated[
        Path | None, typer.Option("--state", help="State store (first-seen times, trust).")
    ] = None,
    at: AtOption = None,
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Required quorum and roles, each approval's verdict, the approved rings, what is still
    missing and the command to run next, as the HEAD commit holds them and the out-of-band
    trust root judges them."""
    root = trust_root(signers, trust)
    now = _now(at)
    with handle_errors(), governed_view(repo, signers, root, now, state) as view:
        fleet_repo = _effective(view.resolution, view.loaded.ok, repo)
        _intent(fleet_repo, intent, repo)
        result = evaluate_governance(fleet_repo, intent, view.context, now)
    pending = view.resolution.pending
    needs = ring_needs(result, fleet_repo, root.members)
    commands = next_commands(result, needs, repo, signers)
    if output is OutputFormat.JSON:
        print_json(
            {**_status_json(result), "pendingGovernance": pending_json(view.resolution)}
            | next_json(needs, commands)
        )
        return
    need = result.need
    console.print(f"[bold]{intent}[/bold] {result.digest}", soft_wrap=True)
    console.print(f"decision: {need.decision.value} (risk {result.risk.score})")
    for reason in need.reasons:
        console.print(f"  {reason}")
    if need.rings:
        roles = f" with roles {', '.join(need.roles)}" if need.roles else ""
        console.print(
            f"needs {need.quorum} distinct approver(s){roles} for {', '.join(need.rings)}"
        )
    table = Table(title="Approvals", title_justify="left")
    table.add_column("Approver", no_wrap=True)
    table.add_column("Rings")
    table.add_column("Verdict", no_wrap=True)
    table.add_column("Why")
    for v in result.approvals:
        verdict = "[green]valid[/green]" if v.valid else f"[red]{v.reason.value}[/red]"
        target = f" (exception {v.approval.exception})" if v.approval.exception else ""
        table.add_row(
            v.approval.approver.split("@")[0],
            ", ".join(v.approval.rings) + target,
            verdict,
            v.detail or v.approval.source.file,
        )
    console.print(table)
    for e in result.exceptions:
        state_text = (
            "[green]valid[/green]" if e.valid else f"[red]{e.reason.value}[/red] {e.detail}"
        )
        console.print(f"exception {e.exception.name}: {state_text}")
    for ring, ok in result.ring_approved.items():
        console.print(
            f"  {ring}: {'[green]approved[/green]' if ok else '[yellow]pending[/yellow]'}"
        )
    for change in pending:
        console.print(
            f"[yellow]governance pending[/yellow] {change.kind} {change.name}: "
            f"{'; '.join(change.loosenings)}", soft_wrap=True,
        )  # fmt: skip
    if signers is None:
        console.print("[yellow]no --signers file: no signature can be verified[/yellow]")
    if not root.members:
        console.print("[yellow]no trust root: nobody holds a CAB role[/yellow]")
    print_next(needs, commands)


_DURATION = re.compile(r"^(\d+)([dhw])$")


@command("approve")
def approve(
    intent: Annotated[str, typer.Argument(help="Intent name.")],
    rings: Annotated[str, typer.Option("--rings", help="Comma-separated rings, e.g. pilot,broad.")],
    expires: Annotated[str, typer.Option("--expires", help="Validity, e.g. 30d, 12h, 4w.")] = "30d",
    condition: Annotated[
        list[str] | None, typer.Option("--condition", help="A condition of the approval.")
    ] = None,
    role: Annotated[str | None, typer.Option("--role", help="CAB role you act in.")] = None,
    exception: Annotated[
        str | None, typer.Option("--exception", help="Approve this CABException instead.")
    ] = None,
    reject: Annotated[
        bool, typer.Option("--reject", help="Record a rejection (withdraws your approval).")
    ] = False,
    comment: Annotated[str, typer.Option("--comment", help="Rationale.")] = "",
    repo: RepoOption = Path(),
    signers: SignersOption = None,
    trust: TrustRootOption = None,
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Write a CABApproval bound to the intent's current digest (and the exception's, with
    --exception), signed with git's signing key, and commit it signed. With --signers (or
    --trust-root) it refuses an approver the trust root gives no CAB role, or not the one
    named by --role."""
    fleet_repo = _load(repo)
    _intent(fleet_repo, intent, repo)
    target = None
    if exception is not None:
        found = fleet_repo.exceptions.get(exception)
        if found is None or found.intent != intent:
            fail(f"no valid CABException {exception!r} for {intent}", EXIT_FINDINGS)
        target = (exception, found.digest)
    ring_list = [r.strip() for r in rings.split(",") if r.strip()]
    root = trust_root(signers, trust) if signers is not None or trust is not None else None
    refuse_unfit_approval(repo, fleet_repo, intent, ring_list, role, root)
    match = _DURATION.match(expires)
    if not match:
        fail(f"--expires {expires!r}: use a number and d, h or w, e.g. 30d")
    unit = {"d": "days", "h": "hours", "w": "weeks"}[match[2]]
    now = datetime.now(UTC).replace(microsecond=0)
    until = now + timedelta(**{unit: int(match[1])})
    try:
        _, email = identity(repo)
        document = _approval_document(
            intent,
            fleet_repo.intents[intent].digest,
            email,
            ring_list,
            now,
            until,
            role,
            condition or [],
            comment,
            exception=target,
            decision="rejected" if reject else "approved",
        )
        name = document.split("\n  name: ", 1)[1].split("\n", 1)[0]
        path = repo / "approvals" / f"{name}.yaml"
        path.parent.mkdir(exist_ok=True)
        with removed_on_failure(path):
            path.write_text(signed_document(document, repo), encoding="utf-8")
            verb = "reject" if reject else "approve"
            commit = commit_signed(repo, [path], f"CAB: {verb} {intent} for {', '.join(ring_list)}")
    except EucoraError as exc:
        fail(exc.message, EXIT_FINDINGS)
    if output is OutputFormat.JSON:
        print_json({"file": str(path), "commit": commit, "approver": email, "rings": ring_list})
    else:
        console.print(
            f"approved {intent} for {', '.join(ring_list)} as {email}: {path} ({commit[:12]})"
        )


def _approval_document(
    intent: str,
    digest: str,
    approver: str,
    rings: list[str],
    now: datetime,
    until: datetime,
    role: str | None,
    conditions: list[str],
    comment: str,
    *,
    exception: tuple[str, str] | None = None,
    decision: str = "approved",
) -> str:
    import json  # noqa: PLC0415 - JSON strings are valid YAML scalars

    def stamp(t: datetime) -> str:
        return t.isoformat().replace("+00:00", "Z")

    what = exception[0] if exception else f"{intent}-{'-'.join(rings)}"
    suffix = "-rejected" if decision == "rejected" else ""
    lines = [
        "apiVersion: eucora.io/v1alpha1",
        "kind: CABApproval",
        "metadata:",
        f"  name: {what}-{approver.split('@', maxsplit=1)[0]}{suffix}",
        "spec:",
        f"  intent: {intent}",
        f'  intentDigest: "{digest}"',
        f"  approver: {approver}",
    ]
    if exception:
        lines += [f"  exception: {exception[0]}", f'  exceptionDigest: "{exception[1]}"']
    if role:
        lines.append(f"  role: {json.dumps(role)}")
    lines += [
        f"  decision: {decision}",
        f"  rings: [{', '.join(rings)}]",
        f"  approvedAt: {stamp(now)}",
        f"  expires: {stamp(until)}",
    ]
    if conditions:
        lines.append("  conditions:")
        lines += [f"    - {json.dumps(c, ensure_ascii=False)}" for c in conditions]
    if comment:
        lines.append(f"  comment: {json.dumps(comment, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


@example_app.command("init")
def example_init(
    target: Annotated[Path, typer.Argument(help="Directory to create.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The tour's today, YYYY-MM-DD (default: today, UTC)."),
    ] = None,
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Turn examples/fleet-repo into a git repo with realistic, partly signed history.

    Its dates are moved so that the tour's today is today: approvals stay fresh.
    """
    examples = data_dir("examples")
    try:
        today = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    except ValueError:
        fail(f"--as-of {as_of!r} is not a date like 2026-11-23")
    try:
        build_example_repo(
            examples / "fleet-repo", target, examples / "keys", today=today,
            schemas=data_dir("schemas"),
        )  # fmt: skip
    except FileExistsError as exc:
        fail(str(exc))
    signers = examples / "keys" / "allowed_signers"
    if output is OutputFormat.JSON:
        print_json({"repo": str(target), "signers": str(signers), "asOf": today.isoformat()})
        return
    console.print(f"example fleet repo with history in {target} (as of {today})")
    console.print(f"try: eucora cab status globalprotect-6.3.2 --repo {target} --signers {signers}")
