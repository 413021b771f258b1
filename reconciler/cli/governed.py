"""``eucora governance status`` and ``eucora governance approve``: governed documents.

``status`` shows, for the HEAD commit, which version of each governed document is in
force (trusted) and every pending change with what it loosens and what it needs.
``approve`` writes a signed GovernanceApproval bound to a governed document's current
digest (or ``deleted`` for a retirement or an incident deletion) and commits it signed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reconciler.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    OutputFormat,
    app,
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
from reconciler.domain.errors import EucoraError
from reconciler.domain.evaluation.governed import DELETED, POLICY_SET, policy_set_digest
from reconciler.engine import read_policy_files
from reconciler.gitops import commit_signed, identity, signed_document

governance_app = typer.Typer(help="Governed documents: trusted versions and pending changes.",
                             no_args_is_help=True)  # fmt: skip
app.add_typer(governance_app, name="governance")

RepoOption = Annotated[Path, typer.Option("--repo", "-r", help="Fleet repo directory.")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f")]
KIND_HELP = "FleetConfig, RiskModel, PolicySet, Incident or DeploymentIntent."
StateOption = Annotated[
    Path | None, typer.Option("--state", help="State store holding the last trusted versions.")
]


@governance_app.command("status")
def status(
    repo: RepoOption = Path(),
    signers: SignersOption = None,
    trust: TrustRootOption = None,
    state: StateOption = None,
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """The trusted revision of each governed document and what is pending (exit 1 when
    something is pending)."""
    root = trust_root(signers, trust)
    if state is not None and not state.is_file():
        fail(f"--state {state}: no such state store")
    with handle_errors(), governed_view(repo, signers, root, datetime.now(UTC), state) as view:
        resolution, commit = view.resolution, view.tree.commit
        ok = view.loaded.ok
    if output is OutputFormat.JSON:
        print_json({
            "commit": commit, "valid": ok, "trusted": dict(resolution.trusted),
            "pending": pending_json(resolution),
            "protectedIntents": sorted(resolution.protected),
        })  # fmt: skip
    else:
        console.print(f"commit {commit[:12] or '(not a git repository)'}")
        table = Table(title="Trusted versions", title_justify="left")
        table.add_column("Document")
        table.add_column("Digest in force", no_wrap=True)
        for key, digest in sorted(resolution.trusted.items()):
            table.add_row(key, digest)
        console.print(table)
        for change in resolution.pending:
            console.print(
                f"[red]pending[/red] {change.kind} {change.name} → {change.digest}\n"
                f"  loosens: {'; '.join(change.loosenings)}\n  needs: {change.needs}",
                soft_wrap=True,
            )
        if not resolution.pending:
            console.print("[green]no pending governance changes[/green]")
    raise typer.Exit(EXIT_FINDINGS if resolution.pending or not ok else EXIT_OK)


@governance_app.command("approve")
def approve(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    name: Annotated[str, typer.Argument(help="Document name (PolicySet: repo).")],
    deleted: Annotated[
        bool, typer.Option("--deleted", help="Approve its removal (retirement, deletion).")
    ] = False,
    expires: Annotated[int, typer.Option("--expires-days", help="Validity in days.")] = 14,
    comment: Annotated[str, typer.Option("--comment", help="Rationale.")] = "",
    repo: RepoOption = Path(),
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Sign a GovernanceApproval for the document's current digest and commit it."""
    digest = DELETED if deleted else _current_digest(repo, kind, name)
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        _, email = identity(repo)
        stamp = now.isoformat().replace("+00:00", "Z")
        until = (now + timedelta(days=expires)).isoformat().replace("+00:00", "Z")
        doc_name = f"{kind.lower()}-{name}-{email.split('@', maxsplit=1)[0]}-{now:%Y%m%d%H%M%S}"
        lines = [
            "apiVersion: eucora.io/v1alpha1", "kind: GovernanceApproval",
            f"metadata: {{name: {doc_name}}}", "spec:",
            f"  document: {{kind: {kind}, name: {name}, digest: \"{digest}\"}}",
            f"  approver: {email}", "  decision: approved",
            f"  approvedAt: {stamp}", f"  expires: {until}",
        ]  # fmt: skip
        if comment:
            import json  # noqa: PLC0415 - JSON strings are valid YAML scalars

            lines.append(f"  comment: {json.dumps(comment, ensure_ascii=False)}")
        text = "\n".join(lines) + "\n"
        path = repo / "approvals" / "governance" / f"{doc_name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(signed_document(text, repo), encoding="utf-8")
        commit = commit_signed(repo, [path], f"Governance: approve {kind} {name} {digest[:19]}")
    except EucoraError as exc:
        fail(exc.message, EXIT_FINDINGS)
    if output is OutputFormat.JSON:
        print_json({"file": str(path), "commit": commit, "digest": digest, "approver": email})
    else:
        console.print(f"approved {kind} {name} {digest} as {email}: {path} ({commit[:12]})")


def _current_digest(repo: Path, kind: str, name: str) -> str:
    with handle_errors():
        loaded = load_repo(repo)
    fleet_repo = loaded.repo
    if kind == "FleetConfig" and fleet_repo.fleet and fleet_repo.fleet.name == name:
        return fleet_repo.fleet.digest
    if kind == "RiskModel" and name in fleet_repo.risk_models:
        return fleet_repo.risk_models[name].digest
    if kind == "Incident" and name in fleet_repo.incidents:
        return fleet_repo.incidents[name].digest
    if kind == "PolicySet" and name == POLICY_SET:
        return policy_set_digest(read_policy_files(repo) or {})
    return fail(f"no {kind} named {name!r} in {repo} (use --deleted to approve a removal)")
