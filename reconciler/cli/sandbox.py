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
from rich.table import Table

from reconciler.cli._common import EXIT_FINDINGS, OutputFormat, app, console, fail
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
    fleet_path = fleet if fleet is not None else Path("examples/fleet-repo/fleet.yaml")
    if fleet is not None and not fleet.is_file():
        fail(f"{fleet}: no such FleetConfig file", EXIT_FINDINGS)
    macos = round(devices * MAC_SHARE)
    sandbox = Sandbox(
        devices_windows=devices - macos,
        devices_macos=macos,
        seed=seed,
        fleet=fleet_path if fleet_path.is_file() else None,
        faults=faults,
        port=port,
        jamf_token_seconds=jamf_token_seconds,
    )
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
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
