"""``eucora validate`` and ``eucora digest``: the PR check for fleet-repo documents."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reconciler.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    FindingsFormat,
    OutputFormat,
    command,
    console,
    fail,
    handle_errors,
    print_json,
)
from reconciler.cli._remote_packages import (
    RemoteCheck,
    environment_sources,
    evidence_findings,
    remote_package_findings,
)
from reconciler.cli._trust import SignersOption, TrustRootOption, governed_view, trust_root
from reconciler.domain.documents.loader import LoadResult, load_repo
from reconciler.domain.documents.models import FleetRepo
from reconciler.domain.findings import Code, Finding, sort_findings

RepoArgument = Annotated[Path, typer.Argument(help="Fleet repo directory.")]
RepoOption = Annotated[Path, typer.Option("--repo", "-r", help="Fleet repo directory.")]


@command("validate")
def validate(
    repo: RepoArgument = Path(),
    signers: SignersOption = None,
    trust: TrustRootOption = None,
    output: Annotated[
        FindingsFormat,
        typer.Option("--format", "-f", help="text (table), json, or github annotations."),
    ] = FindingsFormat.TEXT,
    remote_packages: Annotated[
        RemoteCheck,
        typer.Option(
            "--remote-packages",
            help="Remote package files (https, s3, az): 'size' checks that each exists with "
            "the declared size without downloading it (sha256 too when already cached), "
            "'download' fetches into the cache and checks the sha256, 'off' skips them.",
        ),
    ] = RemoteCheck.SIZE,
) -> None:
    """Check every document of a fleet repo: YAML, schemas and cross-references, package
    files (repo files hashed; remote ones by size, see --remote-packages). With
    --signers (and the trust root beside it), also every governed-document change the
    HEAD commit makes that loosens the rules without a governance approval.

    Exit 0 when clean, 1 when there are findings, 2 on usage errors.
    """
    with handle_errors():
        result = load_repo(repo, check_packages=True)
        remote = [
            *remote_package_findings(result.repo, environment_sources(str(repo)), remote_packages),
            *evidence_findings(result.repo, repo),
        ]
    if remote:
        result = replace(result, findings=tuple(sort_findings([*result.findings, *remote])))
    if signers is not None or trust is not None:
        root = trust_root(signers, trust)
        with handle_errors(), governed_view(repo, signers, root, datetime.now(UTC)) as view:
            pending = [
                Finding(
                    _governed_file(view.loaded.repo, p.kind, p.name), None, None, "",
                    Code.GOVERNANCE_PENDING,
                    f"{p.kind} {p.name} {'; '.join(p.loosenings)}; needs {p.needs}",
                )
                for p in view.resolution.pending
            ]  # fmt: skip
        result = replace(result, findings=tuple(sort_findings([*result.findings, *pending])))
    if output is FindingsFormat.JSON:
        print_json(
            {
                "ok": result.ok,
                "documents": result.documents,
                "files": result.files,
                "findings": [f.to_dict() for f in result.findings],
            }
        )
    elif output is FindingsFormat.GITHUB:
        prefix = annotation_prefix(result.root)
        for finding in result.findings:
            print(github_annotation(finding, prefix))
    else:
        render_findings(result)
    raise typer.Exit(EXIT_OK if result.ok else EXIT_FINDINGS)


def _governed_file(repo: FleetRepo, kind: str, name: str) -> str:
    if kind == "FleetConfig" and repo.fleet is not None:
        return repo.fleet.source.file
    documents: dict[str, Any] = {"RiskModel": repo.risk_models, "Incident": repo.incidents,
                                 "DeploymentIntent": repo.intents}  # fmt: skip
    found = documents.get(kind, {}).get(name)
    return found.source.file if found is not None else f"({kind} {name})"


def annotation_prefix(root: Path) -> str:
    """Where the fleet repo sits inside the checkout GitHub annotates (``GITHUB_WORKSPACE``,
    else the current directory): ``fleet/`` when the fleet repo is a subfolder."""
    base = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    try:
        inside = root.resolve().relative_to(base).as_posix()
    except ValueError:
        return ""
    return "" if inside == "." else inside + "/"


def github_annotation(finding: Finding, prefix: str = "") -> str:
    """A GitHub Actions workflow command that annotates the finding in the PR diff;
    ``prefix`` makes the path relative to the checkout rather than the fleet repo."""
    props = [f"file={_escape_property(prefix + finding.file)}"]
    if finding.line is not None:
        props.append(f"line={finding.line}")
        props.append(f"col={finding.column or 1}")
    props.append(f"title={_escape_property(finding.code)}")
    level = "error" if finding.severity == "error" else "warning"
    where = f"{finding.path}: " if finding.path else ""
    return f"::{level} {','.join(props)}::{_escape_data(where + finding.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_findings(result: LoadResult) -> None:
    if not result.findings:
        console.print(
            f"[green]✓[/green] {_count(result.documents, 'document')} in "
            f"{_count(result.files, 'file')}: no findings"
        )
        return
    for file, group in groupby(result.findings, key=lambda f: f.file):
        table = Table(title=file, title_justify="left", title_style="bold", expand=False)
        table.add_column("Line", justify="right", no_wrap=True)
        table.add_column("Code", style="red", no_wrap=True)
        table.add_column("Field", style="cyan")
        table.add_column("Message")
        for finding in group:
            where = "" if finding.line is None else f"{finding.line}:{finding.column or 1}"
            table.add_row(where, finding.code, finding.path or "—", finding.message)
        console.print(table)
    files = len({f.file for f in result.findings})
    console.print(
        f"[red]✗[/red] {_count(len(result.findings), 'finding')} in {_count(files, 'file')} "
        f"({_count(result.documents, 'document')} in {_count(result.files, 'file')} checked)"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


@command("digest")
def digest(
    intents: Annotated[
        list[str] | None, typer.Argument(help="Intent names (all when omitted).")
    ] = None,
    repo: RepoOption = Path(),
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TEXT,
) -> None:
    """Print intent digests: what CAB approvals bind to."""
    with handle_errors():
        result = load_repo(repo)
    known = result.repo.intents
    names = intents or sorted(known)
    missing = [n for n in names if n not in known]
    if missing:
        fail(f"no valid intent named {', '.join(missing)} in {repo}", EXIT_FINDINGS)
    if output is OutputFormat.JSON:
        print_json({n: known[n].digest for n in names})
        return
    for name in names:
        print(f"{known[name].digest}  {name}")
