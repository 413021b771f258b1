"""``eucora reconcile`` and ``eucora audit verify``: the standalone engine.

Thin: resolve the source and the tenant, build a :class:`~reconciler.engine.Reconciler`
once, run passes, render. ``reconcile`` applies, once or on an interval; ``eucora plan``
(:mod:`.plan`) is its dry run for pull requests and shares the source and tenant helpers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn

from reconciler import logs
from reconciler.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    OutputFormat,
    app,
    command,
    console,
    err_console,
    fail,
    handle_errors,
    print_json,
)
from reconciler.cli._render import summary_table
from reconciler.cli._trust import SignersOption, TrustRootOption, trust_root
from reconciler.compose import RevisionPolicies, build_reconciler
from reconciler.compose.connectors import (
    close_all,
    empty_connectors,
    sandbox_connectors,
    tenant_file_connectors,
    url_connectors,
)
from reconciler.domain.errors import EucoraError, SourceError
from reconciler.domain.models import parse_datetime
from reconciler.domain.ports import Revision, TenantConnector
from reconciler.domain.trust import TrustRoot
from reconciler.engine import (
    AuditLog,
    PassResult,
    StateStore,
    utc_now,
    verify_audit_log,
)
from reconciler.gitops import check_url, fetch, open_local
from reconciler.notify import NotificationConfig, Notifier, StoreBasis, load_file
from reconciler.sandbox import Sandbox

DEFAULT_STATE = Path(".eucora/state.db")
_DURATION = re.compile(r"^(?P<n>\d+(?:\.\d+)?)(?P<unit>ms|s|m|h|d)?$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}

LogLevelOption = Annotated[str | None, typer.Option("--log-level", help="debug, info, warning.")]
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def parse_start(text: str | None, option: str) -> datetime:
    """An RFC 3339 instant with a zone (or ``now``); the default is now."""
    if text is None or text == "now":
        return utc_now().replace(microsecond=0)
    try:
        return parse_datetime(text)
    except ValueError:
        fail(f"{option} {text!r} is not an RFC 3339 time with a zone, e.g. 2026-12-01T09:00:00Z")


def parse_duration(text: str, option: str) -> float:
    match = _DURATION.match(text.strip())
    if match is None:
        fail(f"{option}: {text!r} is not a duration like 60s, 5m or 6h")
    return float(match["n"]) * _UNIT_SECONDS[match["unit"]]


def revision_source(repo: str, ref: str | None, cache: Path) -> Callable[[], Revision]:
    """How to get the revision of each pass: a local tree as it is, or a git fetch."""
    path = Path(repo)
    if path.exists():
        if ref:
            fail("--ref applies to git URLs; a local repo is used as it is checked out")
        if not path.is_dir():
            fail(f"{repo}: not a directory")

        def local() -> Revision:
            try:
                return open_local(path)
            except SourceError:
                return Revision(str(path), "", "")

        return local
    try:
        check_url(repo)
    except EucoraError as exc:
        fail(exc.message)
    return lambda: fetch(repo, ref or "main", cache)


@dataclass(slots=True)
class _Tenant:
    connectors: Mapping[str, TenantConnector]
    description: str
    sandbox: Sandbox | None = None


@contextlib.asynccontextmanager
async def open_tenant(
    *,
    sandbox: bool,
    sandbox_url: str,
    tenant: Path | None,
    fleet_file: Path,
    empty_ok: bool,
    start: datetime | None = None,
) -> AsyncIterator[_Tenant]:
    chosen = sum(bool(x) for x in (sandbox, sandbox_url, tenant))
    if chosen > 1:
        fail("choose one of --sandbox, --sandbox-url and --tenant")
    if sandbox:
        fleet = fleet_file if fleet_file.is_file() else None
        async with Sandbox(fleet=fleet, start=start or utc_now()) as instance:
            wired = sandbox_connectors(instance)
            try:
                yield _Tenant(wired, f"the in-process sandbox {instance.base_url}", instance)
            finally:
                await close_all(wired)
        return
    connectors: Mapping[str, TenantConnector]
    if sandbox_url:
        connectors, description = url_connectors(sandbox_url), f"the sandbox at {sandbox_url}"
    elif tenant is not None:
        connectors, description = tenant_file_connectors(tenant), f"the tenant in {tenant}"
    elif empty_ok:
        connectors = empty_connectors()
        description = "an empty tenant"
    else:
        fail("choose --sandbox (in-process tenant), --sandbox-url URL or --tenant FILE")
    try:
        yield _Tenant(connectors, description)
    finally:
        await close_all(connectors)


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=err_console,
        transient=True,
    )
    tasks: dict[str, int] = {}

    def update(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = int(bar.add_task(step, total=max(total, 1)))
        bar.update(tasks[step], completed=done, total=max(total, 1))  # type: ignore[arg-type]

    with bar:
        yield update


def configure_logs(level: str | None) -> None:
    logs.configure(level=level or os.environ.get("EUCORA_LOG_LEVEL", "warning"))


def _print_pass(result: PassResult, *, title: str) -> None:
    console.print(summary_table(result, title=title))
    console.print(
        f"{len(result.intents)} intents · {result.writes} write(s)"
        f"{' planned: ' + str(result.planned_writes) if result.dry_run else ''} · "
        f"{result.observed_requests} read request(s) · {result.seconds:.1f}s"
    )
    for orphan in result.orphans:
        console.print(f"[yellow]orphan[/yellow] {escape(orphan.reason)}")
    for error in result.errors:
        console.print(f"[red]error[/red] {escape(error)}")


@command("reconcile")
def reconcile(
    repo: Annotated[str, typer.Argument(help="Fleet repo: a local directory or a git URL.")] = ".",
    ref: Annotated[
        str | None, typer.Option("--ref", help="Branch, tag or commit (git URL).")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="One pass, then exit (the default).")
    ] = False,
    interval: Annotated[
        str | None, typer.Option("--interval", help="Run a pass every interval, e.g. 60s.")
    ] = None,
    passes: Annotated[
        int, typer.Option("--passes", help="With --interval: stop after N passes (0 = never).")
    ] = 0,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Reconcile against an in-process sandbox tenant.")
    ] = False,
    sandbox_step: Annotated[
        str, typer.Option("--sandbox-step", help="Simulated time between sandbox passes.")
    ] = "6h",
    sandbox_start: Annotated[
        str | None,
        typer.Option(
            "--sandbox-start", help="When the sandbox's simulated clock starts (RFC 3339; now)."
        ),
    ] = None,
    sandbox_url: Annotated[
        str,
        typer.Option(
            "--sandbox-url", help="Reconcile against a sandbox served at this URL (secrets: env)."
        ),
    ] = "",
    tenant: Annotated[
        Path | None, typer.Option("--tenant", help="Tenant file (ids, URLs; secrets from env).")
    ] = None,
    signers: SignersOption = None,
    trust: TrustRootOption = None,
    acknowledge: Annotated[
        list[str] | None,
        typer.Option(
            "--acknowledge-revision",
            help="Accept this commit although it does not descend from the last applied one.",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan only; write nothing.")] = False,
    state: Annotated[Path, typer.Option("--state", help="SQLite state store.")] = DEFAULT_STATE,
    audit: Annotated[
        Path | None, typer.Option("--audit", help="Audit log (default: next to the state).")
    ] = None,
    opa_url: Annotated[str, typer.Option("--opa-url", help="Decide with an OPA server.")] = "",
    notifications: Annotated[
        Path | None,
        typer.Option(
            "--notifications", help="Tell Teams, Slack, webhooks, commit statuses (a YAML file)."
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text or json.")
    ] = OutputFormat.TEXT,
    log_level: LogLevelOption = None,
) -> None:
    """Make Intune and Jamf Pro match the fleet repo, one gated ring at a time."""
    configure_logs(log_level)
    if once and interval:
        fail("--once and --interval exclude each other")
    root = trust_root(signers, trust)
    every = parse_duration(interval, "--interval") if interval else None
    step = parse_duration(sandbox_step, "--sandbox-step") / 3600
    start = parse_start(sandbox_start, "--sandbox-start")
    source = revision_source(repo, ref, state.parent / "cache")
    with handle_errors():
        config = load_file(notifications) if notifications is not None else None
        code = asyncio.run(
            _reconcile_loop(
                source, sandbox=sandbox, sandbox_url=sandbox_url, step_hours=step, start=start,
                tenant=tenant, signers=signers, trust=root, acknowledged=set(acknowledge or ()),
                dry_run=dry_run, state=state, audit=audit or state.parent / "audit.jsonl",
                opa_url=opa_url, every=every, passes=passes, output=output, notify=config,
                source_name=repo,
            )
        )  # fmt: skip
    raise typer.Exit(code)


async def _reconcile_loop(
    source: Callable[[], Revision],
    *,
    sandbox: bool,
    sandbox_url: str,
    step_hours: float,
    start: datetime,
    tenant: Path | None,
    signers: Path | None,
    trust: TrustRoot,
    acknowledged: set[str],
    dry_run: bool,
    state: Path,
    audit: Path,
    opa_url: str,
    every: float | None,
    passes: int,
    output: OutputFormat,
    notify: NotificationConfig | None = None,
    source_name: str = "",
) -> int:
    revision = source()
    policies = RevisionPolicies(opa_url)
    fleet_file = Path(revision.path) / "fleet.yaml"
    async with open_tenant(
        sandbox=sandbox, sandbox_url=sandbox_url, tenant=tenant, fleet_file=fleet_file,
        empty_ok=False, start=start,
    ) as where:  # fmt: skip
        store = StateStore(state)
        reconciler = build_reconciler(
            connectors=where.connectors,
            policy=policies.for_revision(revision),
            store=store,
            audit=None if dry_run else AuditLog(audit, actor=_actor()),
            clock=where.sandbox.now if where.sandbox else utc_now,
            signers=signers,
            trust=trust,
            policies=policies,
        )
        reconciler.acknowledged |= acknowledged
        count, code = 0, EXIT_OK
        notifier = Notifier(notify) if notify is not None and not dry_run else None
        told = StoreBasis(store, notifier, source=source_name) if notifier else None
        try:
            while True:
                if count:
                    revision = source()
                try:
                    with _progress(output is OutputFormat.TEXT and err_console.is_terminal) as tick:
                        reconciler.on_progress = tick
                        result = await reconciler.reconcile(revision, dry_run=dry_run)
                except EucoraError as exc:
                    if every is None:
                        raise
                    err_console.print(f"[red]pass failed[/red] {exc.reason}: {exc.message}")
                    result = None
                count += 1
                if result is not None and told is not None:
                    told.after_pass(result)  # delivered in the background
                if result is not None:
                    code = EXIT_OK if result.ok else EXIT_FINDINGS
                    if output is OutputFormat.JSON:
                        if every is None:
                            print_json(result.to_dict())
                        else:
                            sys.stdout.write(json.dumps(result.to_dict(), default=str) + "\n")
                            sys.stdout.flush()
                    else:
                        when = result.at.strftime("%Y-%m-%d %H:%M UTC")
                        title = f"pass {count} at {revision.commit[:12] or revision.path} ({when})"
                        _print_pass(result, title=title)
                if every is None or (passes and count >= passes):
                    return code
                await asyncio.sleep(every)
                if where.sandbox is not None:
                    where.sandbox.advance(hours=step_hours)
        finally:
            if notifier is not None:
                await notifier.aclose(timeout=30)  # what is still under way, bounded
            store.close()


def _actor() -> str:
    return os.environ.get("EUCORA_ACTOR") or f"eucora@{os.uname().nodename}"


@audit_app.command("verify")
def audit_verify(
    path: Annotated[Path, typer.Argument(help="Audit log file.")] = DEFAULT_STATE.parent
    / "audit.jsonl",
    state: Annotated[
        Path | None,
        typer.Option(
            "--state", help="State store holding the last record's hash (catches truncation)."
        ),
    ] = None,
    expected_head: Annotated[
        str | None,
        typer.Option(
            "--expected-head",
            help="sha256 of the last record seen elsewhere, e.g. a GitSource's "
            "status.audit.head (catches truncation).",
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text or json.")
    ] = OutputFormat.TEXT,
) -> None:
    """Check the audit log's hash chain; exit 1 and name the line if it is broken."""
    with handle_errors():
        if state is not None and expected_head is not None:
            fail("give --state or --expected-head, not both")
        head = expected_head
        if state is not None:
            if not state.is_file():
                fail(f"--state {state}: no such state store")
            store = StateStore(state)
            head = store.meta("audit_head")
            store.close()
        result = verify_audit_log(path, expected_head=head)
    if output is OutputFormat.JSON:
        print_json(result.to_dict())
    elif result.ok:
        console.print(
            f"audit log {path}: {result.records} record(s), chain intact (head {result.head[:12]})"
        )
    else:
        where = f" line {result.line}" if result.line else ""
        console.print(
            f"[red]audit log {path}{where}: {result.problem}[/red] "
            f"({result.records} record(s) verified before it)"
        )
    raise typer.Exit(EXIT_OK if result.ok else EXIT_FINDINGS)
