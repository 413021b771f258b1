"""``eucora demo``: the example fleet reconciled against the in-process sandbox, narrated."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reconciler import logs
from reconciler.cli._common import (
    EXIT_FINDINGS,
    EXIT_OK,
    OutputFormat,
    command,
    console,
    handle_errors,
    print_json,
)
from reconciler.cli._render import summary_table
from reconciler.compose.demo import DemoResult, Narrate, run_demo
from reconciler.domain.resources import data_dir
from reconciler.engine import PassResult, StateStore
from reconciler.notify import NotificationConfig, Notifier, StoreBasis, load_file

_STYLE = {
    "setup": "dim",
    "promote": "green",
    "hold": "yellow",
    "halt": "red",
    "fleet": "magenta",
    "providers": "blue",
    "cab": "cyan",
    "portal": "magenta",
    "drift": "yellow",
    "complete": "green",
    "steady": "green",
    "maturity": "cyan",
}


def narration_line(kind: str, text: str) -> str:
    """One narrated line as rich markup: the kind in its colour, the text escaped. A kind
    without a colour is printed plain (empty tags would be a markup error)."""
    style = _STYLE.get(kind)
    label = f"[{style}]{kind:>8}[/{style}]" if style else f"{kind:>8}"
    return f"{label}  {escape(text)}"


@command("demo")
def demo(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Keep the fleet repo, state and audit log here."),
    ] = None,
    notifications: Annotated[
        Path | None,
        typer.Option("--notifications", help="Tell Teams/Slack/webhooks per this file."),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text or json.")
    ] = OutputFormat.TEXT,
) -> None:
    """Reconcile the example fleet against the in-process sandbox in simulated time."""
    logs.configure(level="error")
    if directory is not None and directory.exists() and any(directory.iterdir()):
        raise typer.BadParameter(f"{directory} exists and is not empty", param_hint="--dir")
    events: list[dict[str, str]] = []

    def narrate(kind: str, text: str) -> None:
        events.append({"kind": kind, "text": text})
        if output is OutputFormat.TEXT:
            console.print(narration_line(kind, text))

    started = time.perf_counter()
    with handle_errors():
        config = load_file(notifications) if notifications is not None else None
        result = asyncio.run(_demo(directory, narrate, config))
    seconds = time.perf_counter() - started
    ok = result.audit.ok and result.quiet_writes == 0
    if output is OutputFormat.JSON:
        print_json(
            {
                "passes": result.passes,
                "seconds": round(seconds, 1),
                "events": events,
                "quietWrites": result.quiet_writes,
                "audit": result.audit.to_dict(),
                "maturity": None
                if result.maturity is None
                else {
                    "level": result.maturity.level,
                    "deployments": len(result.maturity.deployments),
                    "incidents": len(result.maturity.incidents),
                    "incidentRate": result.maturity.incident_rate,
                    "blocking": [c.name for c in result.maturity.blocking],
                },
                "final": result.last.to_dict(),
            }
        )
    else:
        console.print(summary_table(result.last, title=f"after {result.passes} passes"))
        verdict = "intact" if result.audit.ok else f"BROKEN: {result.audit.problem}"
        console.print(
            f"audit log: {result.audit.records} records, chain {verdict} · "
            f"{seconds:.0f}s wall clock"
        )
        if directory is not None:
            signers = data_dir("examples") / "keys" / "allowed_signers"
            console.print(
                f"try: eucora maturity --repo {directory / 'fleet'} "
                f"--state {directory / '.eucora' / 'state.db'} --signers {signers}"
            )
    raise typer.Exit(EXIT_OK if ok else EXIT_FINDINGS)


async def _demo(
    directory: Path | None, narrate: Narrate, config: NotificationConfig | None
) -> DemoResult:
    if config is None:
        return await run_demo(directory, narrate)
    notifier = Notifier(config)
    told: list[StoreBasis] = []

    async def tell(result: PassResult, store: StateStore) -> None:
        if not told:
            told.append(StoreBasis(store, notifier, source="eucora demo"))
        told[0].after_pass(result)

    try:
        return await run_demo(directory, narrate, tell)
    finally:
        await notifier.aclose(timeout=30)
