"""``eucora sandbox serve``: run the emulated Intune + Jamf Pro tenant until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from reconciler.cli._common import (
    EXIT_FINDINGS,
    OutputFormat,
    app,
    console,
    fail,
    handle_errors,
    print_json,
)
from reconciler.cli._sandbox_env import export_lines, fetch_info, variables
from reconciler.cli._sandbox_env import tenant_file as tenant_file_text
from reconciler.cli.reconcile import parse_start
from reconciler.domain.resources import data_dir
from reconciler.sandbox import FaultSpecError, Sandbox, parse_faults

sandbox_app = typer.Typer(
    help="The emulated Intune + Jamf Pro tenant for demos and tests.", no_args_is_help=True
)
app.add_typer(sandbox_app, name="sandbox")

# macOS share of --devices: the default fleet's 2,000 Windows + 800 Macs.
MAC_SHARE = 800 / 2800


@sandbox_app.command("serve")
def serve(
    port: Annotated[
        int, typer.Option("--port", "-p", help="Port on 127.0.0.1 (0 = a free one).")
    ] = 0,
    devices: Annotated[
        int, typer.Option("--devices", help="Fleet size; 5/7 Windows, 2/7 macOS.")
    ] = 2800,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed for the fleet, outcomes and faults.")
    ] = 0,
    faults: Annotated[
        str, typer.Option("--faults", help="Fault spec, e.g. '429@/v1.0/*:0.2,reset@*:0.05'.")
    ] = "",
    fleet: Annotated[
        Path | None, typer.Option("--fleet", help="FleetConfig whose rings the devices join.")
    ] = None,
    jamf_token_seconds: Annotated[
        int,
        typer.Option(
            "--jamf-token-seconds", help="expires_in of Jamf API client tokens (real: 60 s up)."
        ),
    ] = 599,
    start: Annotated[
        str | None,
        typer.Option("--start", help="When the simulated clock starts (RFC 3339; default now)."),
    ] = None,
    macos_mdm: Annotated[
        list[str] | None,
        typer.Option(
            "--macos-mdm",
            help="RING=intune enrols that ring's Macs in Intune instead of Jamf (repeatable).",
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text or json.")
    ] = OutputFormat.TEXT,
) -> None:
    """Serve Graph, the Entra token endpoint and Jamf Pro on 127.0.0.1 until interrupted."""
    if devices < 0:
        fail("--devices must be zero or more")
    if jamf_token_seconds < 1:
        fail("--jamf-token-seconds must be at least 1")
    try:
        parse_faults(faults)
    except FaultSpecError as exc:
        fail(str(exc), EXIT_FINDINGS)
    # default: the example fleet's rings (bundled, wherever this runs from)
    fleet_path = fleet if fleet is not None else data_dir("examples") / "fleet-repo" / "fleet.yaml"
    if fleet is not None and not fleet.is_file():
        fail(f"{fleet}: no such FleetConfig file", EXIT_FINDINGS)
    macos = round(devices * MAC_SHARE)
    clock_start = parse_start(start, "--start")
    mdms: dict[str, str] = {}
    for entry in macos_mdm or []:
        ring, sep, mdm = entry.partition("=")
        if not sep or not ring or not mdm:
            fail(f"--macos-mdm {entry!r}: expected RING=MDM, e.g. lab=intune", EXIT_FINDINGS)
        mdms[ring] = mdm
    try:
        sandbox = Sandbox(
            start=clock_start,
            devices_windows=devices - macos,
            devices_macos=macos,
            seed=seed,
            fleet=fleet_path if fleet_path.is_file() else None,
            faults=faults,
            port=port,
            jamf_token_seconds=jamf_token_seconds,
            macos_mdm=mdms,
        )
    except ValueError as exc:
        fail(f"--macos-mdm: {exc}" if mdms else str(exc), EXIT_FINDINGS)
    try:
        asyncio.run(_run(sandbox, output))
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port}: {exc}")


async def _run(sandbox: Sandbox, output: OutputFormat) -> None:
    async with sandbox:
        info = sandbox.connection_info()
        if output is OutputFormat.JSON:
            sys.stdout.write(json.dumps(info) + "\n")
            sys.stdout.flush()
        else:
            table = Table(title="EUCORA sandbox tenant (Ctrl-C to stop)")
            table.add_column("setting")
            table.add_column("value", overflow="fold")
            for key, value in info.items():
                table.add_row(key, value)
            table.add_row(
                "devices",
                (
                    f"{sum(sandbox.device_counts)} ({sandbox.device_counts[0]} "
                    f"Windows, {sandbox.device_counts[1]} macOS)"
                ),
            )
            console.print(table)
            console.print('# paste into your shell (or: eval "$(eucora sandbox env URL)"):')
            for line in export_lines(info):
                console.print(escape(line), soft_wrap=True, highlight=False)
            console.print(
                f"# then: eucora plan examples/fleet-repo --sandbox {sandbox.base_url}",
                soft_wrap=True,
            )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()


@sandbox_app.command("env")
def env(
    url: Annotated[str, typer.Argument(help="The served sandbox, e.g. http://127.0.0.1:8765.")],
    tenant_file: Annotated[
        Path | None,
        typer.Option("--tenant-file", help="Also write a tenant file (no secrets) here."),
    ] = None,
    secrets_only: Annotated[
        bool, typer.Option("--secrets-only", help="Export only the secrets (with --tenant).")
    ] = False,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for the sandbox to come up.")
    ] = 30.0,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text (export lines) or json.")
    ] = OutputFormat.TEXT,
) -> None:
    """Print `export` lines for a running sandbox: eval "$(eucora sandbox env URL)"."""
    with handle_errors():
        info = fetch_info(url, wait=wait)
    if tenant_file is not None:
        tenant_file.parent.mkdir(parents=True, exist_ok=True)
        tenant_file.write_text(tenant_file_text(info), encoding="utf-8")
    if output is OutputFormat.JSON:
        print_json(variables(info))
        return
    for line in export_lines(info, secrets_only=secrets_only):
        print(line)
