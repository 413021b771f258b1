"""``eucora plan``: the PR check — what a reconcile would do, per intent, said honestly.

A dry run of the engine (against a tenant, a served sandbox or an empty tenant) starting
from real ring state: a state store (``--state``) or an operator's DeploymentIntent
statuses (``--cluster``). Each intent gets a verdict (:mod:`._verdict`) by what will really
happen; package problems and admission denies are blocking findings. Warns, in every
format, when the clone is shallow or ``--signers`` is missing (approvals cannot count).
"""

from __future__ import annotations

import asyncio
import enum
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from reconciler.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    command,
    console,
    err_console,
    fail,
    handle_errors,
    print_json,
)
from reconciler.cli._markdown import (
    DEFAULT_MAX_CHARS,
    PlanContext,
    drift_lines,
    markdown_plan,
    next_mark,
)
from reconciler.cli._render import ring_line, summary_table
from reconciler.cli._trust import SignersOption, TrustRootOption, trust_root
from reconciler.cli._verdict import Verdict, verdict
from reconciler.cli.reconcile import (
    LogLevelOption,
    configure_logs,
    open_tenant,
    revision_source,
)
from reconciler.compose import RevisionPolicies, build_reconciler
from reconciler.domain.documents.loader import LoadResult, package_findings
from reconciler.domain.evaluation.trust import TrustRoot
from reconciler.domain.findings import Severity, sort_findings
from reconciler.domain.planning.plan import ActionKind, intents_touched
from reconciler.engine import IntentReport, PassResult, StateStore, Store, open_revision
from reconciler.gitops import changed_files, is_shallow


class PlanFormat(enum.StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    kubeconfig: Path | None
    context: str | None
    namespace: str
    source: str | None


@command("plan")
def plan(
    repo: Annotated[Path, typer.Argument(help="Fleet repo (a local checkout).")] = Path(),
    base: Annotated[
        str | None, typer.Option("--base", help="Only intents changed since this ref (PR base).")
    ] = None,
    sandbox: Annotated[
        str, typer.Option("--sandbox", help="Plan against a sandbox served at this URL.")
    ] = "",
    tenant: Annotated[Path | None, typer.Option("--tenant", help="Tenant file.")] = None,
    signers: SignersOption = None,
    trust: TrustRootOption = None,
    state: Annotated[
        Path | None, typer.Option("--state", help="Read ring progress from this state store.")
    ] = None,
    cluster: Annotated[
        bool,
        typer.Option(
            "--cluster", help="Read ring progress from the operator's DeploymentIntent statuses."
        ),
    ] = False,
    kubeconfig: Annotated[
        Path | None, typer.Option("--kubeconfig", help="With --cluster (default: KUBECONFIG).")
    ] = None,
    context: Annotated[
        str | None, typer.Option("--context", help="With --cluster: kubeconfig context.")
    ] = None,
    namespace: Annotated[
        str, typer.Option("--namespace", "-n", help="With --cluster: the GitSource's namespace.")
    ] = "eucora-system",
    source: Annotated[
        str | None, typer.Option("--source", help="With --cluster: only this GitSource's intents.")
    ] = None,
    max_chars: Annotated[
        int, typer.Option("--max-chars", help="Markdown: cut the comment to this many characters.")
    ] = DEFAULT_MAX_CHARS,
    full_plan_url: Annotated[
        str, typer.Option("--full-plan-url", help="Markdown: where the full plan is (artifact).")
    ] = "",
    save: Annotated[
        Path | None,
        typer.Option("--save", help="Also write plan.json and the uncut plan-full.md here (CI)."),
    ] = None,
    output: Annotated[
        PlanFormat, typer.Option("--format", "-f", help="text, markdown or json.")
    ] = PlanFormat.TEXT,
    log_level: LogLevelOption = None,
) -> None:
    """What a reconcile would do, per intent: a verdict, risk, CAB, gates, drift, actions."""
    configure_logs(log_level)
    if state is not None and not state.is_file():
        fail(f"--state {state}: no such state store")
    if state is not None and cluster:
        fail("choose one of --state and --cluster")
    root = trust_root(signers, trust)
    if max_chars < 2000:
        fail("--max-chars must be at least 2000")
    where = ClusterOptions(kubeconfig, context, namespace, source) if cluster else None
    with handle_errors():
        if not repo.is_dir():
            raise NotADirectoryError(f"fleet repo {str(repo)!r} is not a directory")
        changed = changed_files(repo, base) if base else None
        result, loaded, tenant_name = asyncio.run(
            _plan(repo, changed, sandbox=sandbox, tenant=tenant, signers=signers, trust=root,
                  state=state, cluster=where)
        )  # fmt: skip
    warnings = plan_warnings(repo, signers, root)
    blocking = {r.name: _blocking(r, loaded) for r in result.intents}
    # a loosening of a governed document waits for its governance approval: blocking
    pending = [
        f"governance-pending: {p.kind} {p.name}: {'; '.join(p.loosenings)} — needs {p.needs}"
        for p in result.pending
    ]
    verdicts = {r.name: verdict(r, blocking[r.name]) for r in result.intents}
    document = _json(result, tenant_name, base, blocking, verdicts, warnings)
    context_ = PlanContext(tenant_name, base is not None, warnings, full_plan_url, max_chars)
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        (save / "plan.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
        uncut = replace(context_, max_chars=sys.maxsize)
        full = markdown_plan(result, blocking=blocking, verdicts=verdicts, context=uncut)
        (save / "plan-full.md").write_text(full, encoding="utf-8")
    if output is PlanFormat.JSON:
        print_json(document)
    elif output is PlanFormat.MARKDOWN:
        sys.stdout.write(
            markdown_plan(result, blocking=blocking, verdicts=verdicts, context=context_)
        )
    else:
        for warning in warnings:
            err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}", soft_wrap=True)
        _print_plan(result, blocking, verdicts, tenant_name, base)
        for problem in pending:
            console.print(f"[red]blocking[/red] {escape(problem)}", soft_wrap=True)
    raise typer.Exit(EXIT_FINDINGS if any(blocking.values()) or pending else EXIT_OK)


def plan_warnings(repo: Path, signers: Path | None, trust: TrustRoot) -> list[str]:
    """What makes this plan less than the truth, for every output format."""
    warnings = []
    if is_shallow(repo):
        warnings.append(
            "shallow clone: approvals' signed commits and the PR base may be missing, so CAB "
            "approvals may not count; check out with `fetch-depth: 0` (GitLab: `GIT_DEPTH: 0`)"
        )
    if signers is None:
        warnings.append(
            "no --signers file: no CAB approval can be verified, so none counts and every "
            "CAB ring shows as pending"
        )
    elif not trust.members:
        warnings.append(
            "no trust root (trust-root.yaml beside --signers, or --trust-root): nobody holds a "
            "CAB role, so no approval counts"
        )
    return warnings


def _json(
    result: PassResult,
    tenant: str,
    base: str | None,
    blocking: dict[str, list[str]],
    verdicts: dict[str, Verdict],
    warnings: list[str],
) -> dict[str, Any]:
    document = result.to_dict()
    document["tenant"] = tenant
    document["changedOnly"] = base is not None
    document["reportedWrites"] = sum(len(r.writes) for r in result.intents)
    document["warnings"] = warnings
    for item in document["intents"]:
        item["blocking"] = blocking[item["name"]]
        item["verdict"] = verdicts[item["name"]].to_dict()
    return document


def _store(state: Path | None, cluster: ClusterOptions | None) -> Store:
    if cluster is None:
        return StateStore(state if state is not None else ":memory:")
    from reconciler.operator.cluster_state import (  # noqa: PLC0415  (kubernetes only here)
        read_cluster_state,
    )

    return read_cluster_state(
        kubeconfig=cluster.kubeconfig,
        context=cluster.context,
        namespace=cluster.namespace,
        source=cluster.source,
    )


async def _plan(
    repo: Path,
    changed: list[str] | None,
    *,
    sandbox: str,
    tenant: Path | None,
    signers: Path | None,
    trust: TrustRoot,
    state: Path | None,
    cluster: ClusterOptions | None,
) -> tuple[PassResult, LoadResult, str]:
    """The dry run, over the revision loaded once: with ``changed`` (``--base``), the
    report covers only the intents those files touch."""
    revision = revision_source(str(repo), None, Path())()
    store = _store(state, cluster)
    async with open_tenant(
        sandbox=False, sandbox_url=sandbox, tenant=tenant, fleet_file=repo / "fleet.yaml",
        empty_ok=True,
    ) as where:  # fmt: skip
        try:
            reconciler = build_reconciler(
                connectors=where.connectors,
                policy=RevisionPolicies("").for_revision(revision),
                store=store,
                signers=signers,
                trust=trust,
                policies=RevisionPolicies(""),
            )
            with open_revision(revision) as loaded:
                only = None
                if changed is not None:
                    only = sorted(intents_touched(loaded.repo, changed))
                result = await reconciler.reconcile_loaded(loaded, dry_run=True, only=only)
                # the installers as the checkout has them (CI fetches LFS objects there)
                packages = package_findings(loaded.result, repo)
        finally:
            close = getattr(store, "close", None)
            if close is not None:
                close()
        findings = sort_findings([*loaded.result.findings, *packages])
        return result, replace(loaded.result, findings=tuple(findings)), where.description


def _blocking(report: IntentReport, loaded: LoadResult) -> list[str]:
    """Findings that stop a PR: package problems, admission denies, policy errors, errors."""
    problems = []
    source = (
        loaded.repo.intents[report.name].source.file if report.name in loaded.repo.intents else ""
    )
    for finding in loaded.findings:
        if finding.file == source and finding.severity == Severity.ERROR:
            problems.append(f"{finding.code}: {finding.message} ({finding.location})")
    for gate in report.gates:
        for violation in gate.result.deny:
            if gate.decision == "admission" or violation.id == "policy-error":
                problems.append(f"{violation.id}: {violation.msg}")
    problems += [
        f"look-alike: {a.reason}" for a in report.actions if a.kind is ActionKind.LOOK_ALIKE
    ]
    return problems + list(report.errors)


def _print_plan(
    result: PassResult,
    blocking: dict[str, list[str]],
    verdicts: dict[str, Verdict],
    tenant: str,
    base: str | None,
) -> None:
    scope = f"changed since {base}" if base else "all intents"
    if not result.intents:
        console.print(f"no intents {scope}; nothing to plan")
        return
    console.print(summary_table(result, title=f"plan against {tenant} ({scope})"))
    for report in result.intents:
        found = verdicts[report.name]
        console.print(
            f"\n{found.icon} [bold]{report.name}[/bold] {found.kind.value}  "
            f"{ring_line(report, result.rings, next_mark=next_mark(found))}"
        )
        console.print(f"  {escape(found.detail)}")
        for change in report.governance:
            console.print(f"  [yellow]trusted rules apply[/yellow] pending {escape(change)}")
        factors = ", ".join(f"{n} +{c:.1f}" for n, c, _ in report.risk_factors)
        console.print(f"  risk {report.risk_score:.1f} ({report.blast_radius}): {factors}")
        if report.cab_rings:
            console.print(
                f"  CAB {report.cab_decision.replace('_', ' ')} for {', '.join(report.cab_rings)}: "
                f"{report.approvals_valid}/{report.approvals_required} valid approval(s)"
            )
        else:
            console.print(f"  CAB {report.cab_decision.replace('_', ' ')}")
        for problem in blocking[report.name]:
            console.print(f"  [red]blocking[/red] {escape(problem)}")
        for line in drift_lines(report.drift):
            console.print(escape(line.replace("`", "")))
        for action in report.writes:
            where = action.platform.value if action.platform else ""
            console.print(f"  → {where} {escape(action.describe())} ({escape(action.reason)})")
    reported = sum(len(r.writes) for r in result.intents)
    console.print(f"\n{result.planned_writes} tenant write(s) planned ({reported} shown)")
