"""``eucora policy test|docs`` and ``eucora gate``: the policy layer on the command line."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reconciler.cli._common import (
    EXIT_DENIED,
    EXIT_FINDINGS,
    EXIT_OK,
    OutputFormat,
    app,
    command,
    console,
    fail,
    print_json,
)
from reconciler.domain.documents import schemas
from reconciler.domain.documents.yamlsource import parse_yaml
from reconciler.domain.errors import InvalidPolicyError
from reconciler.domain.findings import json_pointer
from reconciler.domain.ports import PolicyDecision, PolicyEngine
from reconciler.policy import (
    DECISIONS,
    EmbeddedEngine,
    OpaServerEngine,
    PolicySet,
    builtin_dir,
    exercised_ids,
    load_cases,
    load_policy_set,
    render_policy_readme,
    run_cases,
)

policy_app = typer.Typer(help="Test and document the Rego policies.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


class EngineKind(enum.StrEnum):
    EMBEDDED = "embedded"
    OPA = "opa"


PoliciesOption = Annotated[
    list[Path] | None,
    typer.Option("--policies", "-p", help="Extra policy directory (a fleet repo's policies/)."),
]
EngineOption = Annotated[EngineKind, typer.Option("--engine", help="embedded (regopy) or opa.")]
OpaUrlOption = Annotated[str, typer.Option("--opa-url", help="OPA server URL for --engine opa.")]
PushOption = Annotated[
    bool, typer.Option("--push/--no-push", help="Push the policies to OPA before deciding.")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f")]


def _policy_set(extra: list[Path] | None) -> PolicySet:
    try:
        return load_policy_set(extra or ())
    except InvalidPolicyError as exc:
        fail(exc.message, EXIT_FINDINGS)


def _engine(policies: PolicySet, kind: EngineKind, opa_url: str, push: bool) -> PolicyEngine:
    if kind is EngineKind.OPA:
        if not opa_url:
            fail("--engine opa needs --opa-url")
        return OpaServerEngine(opa_url, policies=policies, push=push)
    engine = EmbeddedEngine(policies)
    if engine.compile_error:
        console.print(f"[red]policies do not compile:[/red] {engine.compile_error}")
    return engine


@policy_app.command("test")
def policy_test(
    policies: PoliciesOption = None,
    engine: EngineOption = EngineKind.EMBEDDED,
    opa_url: OpaUrlOption = "",
    push: PushOption = False,
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Run the policy test cases (``*/tests/*.yaml``); exit 1 on any failure."""
    policy_set = _policy_set(policies)
    try:
        cases = load_cases([builtin_dir(), *(policies or ())])
    except InvalidPolicyError as exc:
        fail(exc.message, EXIT_FINDINGS)
    results = run_cases(_engine(policy_set, engine, opa_url, push), cases)
    unexercised = sorted(policy_set.rule_ids() - exercised_ids(cases))
    failed = [r for r in results if not r.passed]
    if output is OutputFormat.JSON:
        print_json(
            {
                "passed": len(results) - len(failed),
                "failed": len(failed),
                "cases": [
                    {
                        "file": r.case.file,
                        "name": r.case.name,
                        "decision": r.case.decision,
                        "passed": r.passed,
                        "problems": list(r.problems),
                        "result": r.decision.to_dict(),
                    }
                    for r in results
                ],
                "unexercisedRules": unexercised,
            }
        )
    else:
        table = Table(title="Policy cases", title_justify="left")
        table.add_column("", no_wrap=True)
        table.add_column("File", style="cyan", no_wrap=True)
        table.add_column("Case")
        table.add_column("Problem", style="red")
        for result in results:
            mark = "[green]pass[/green]" if result.passed else "[red]FAIL[/red]"
            table.add_row(mark, result.case.file, result.case.name, "; ".join(result.problems))
        console.print(table)
        if unexercised:
            console.print(f"[yellow]rules no case exercises:[/yellow] {', '.join(unexercised)}")
        console.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    raise typer.Exit(EXIT_FINDINGS if failed else EXIT_OK)


@policy_app.command("docs")
def policy_docs(
    write: Annotated[bool, typer.Option("--write", help="Rewrite policies/README.md.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when it is stale.")] = False,
) -> None:
    """Render the built-in policies' README from their METADATA comments."""
    text = render_policy_readme(_policy_set(None))
    target = builtin_dir() / "README.md"
    if check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            fail(f"{target} is stale; run `eucora policy docs --write`", EXIT_FINDINGS)
        console.print(f"{target} is up to date")
    elif write:
        target.write_text(text, encoding="utf-8")
        console.print(f"{target} written")
    else:
        print(text, end="")


@command("gate")
def gate(
    input_file: Annotated[
        Path, typer.Option("--input", "-i", help="Policy input document (JSON or YAML).")
    ],
    decision: Annotated[
        str, typer.Option("--decision", "-d", help="promotion, health or admission.")
    ] = "promotion",
    policies: PoliciesOption = None,
    engine: EngineOption = EngineKind.EMBEDDED,
    opa_url: OpaUrlOption = "",
    push: PushOption = False,
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Evaluate one policy input document. Exit 0 allow, 3 deny, 1 bad input (docs/cli.md)."""
    if decision not in DECISIONS:
        fail(f"--decision must be one of {', '.join(DECISIONS)}")
    document = _read_input(input_file)
    result = _engine(_policy_set(policies), engine, opa_url, push).decide(decision, document)
    if output is OutputFormat.JSON:
        print_json(result.to_dict())
    else:
        _render_decision(decision, result)
    raise typer.Exit(EXIT_OK if result.allow else EXIT_DENIED)


def _read_input(path: Path) -> dict[str, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror}", EXIT_FINDINGS)
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8", EXIT_FINDINGS)
    parsed = parse_yaml(text, str(path))
    if parsed.findings:
        first = parsed.findings[0]
        fail(f"{first.location}: {first.message}", EXIT_FINDINGS)
    if len(parsed.documents) != 1 or not isinstance(parsed.documents[0].data, dict):
        fail(f"{path}: expected one JSON/YAML object", EXIT_FINDINGS)
    document = parsed.documents[0]
    problems = list(schemas.validate_policy_input(document.data))
    if problems:
        for problem in problems:
            line, column = document.locate(problem.path, key=problem.key)
            pointer = json_pointer(problem.path) or "/"
            console.print(f"{path}:{line}:{column}: {pointer}: {problem.message}", soft_wrap=True)
        fail(f"{path}: not a valid policy input ({len(problems)} problems)", EXIT_FINDINGS)
    data: dict[str, object] = document.data
    return data


def _render_decision(decision: str, result: PolicyDecision) -> None:
    verdict = "[green]allow[/green]" if result.allow else "[red]deny[/red]"
    console.print(f"eucora.{decision}: {verdict}")
    if result.deny or result.warn:
        table = Table(show_header=True)
        table.add_column("Effect", no_wrap=True)
        table.add_column("Rule", style="cyan", no_wrap=True)
        table.add_column("Message")
        for violation in result.deny:
            table.add_row("[red]deny[/red]", violation.id, violation.msg)
        for violation in result.warn:
            table.add_row("[yellow]warn[/yellow]", violation.id, violation.msg)
        console.print(table)
