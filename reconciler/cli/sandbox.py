"""``eucora sandbox serve``: the emulated tenant as a local server, until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli._common import EXIT_FINDINGS, OutputFormat, app, console, fail
from reconciler.domain.loader import load_repo
from reconciler.domain.resources import data_dir
from reconciler.sandbox import Sandbox
from reconciler.sandbox._faults import FaultSpecError, parse_faults

sandbox_app = typer.Typer(help="The embedded Intune sandbox tenant.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


def _ring_groups(fleet_dir: Path) -> list[tuple[str, float]]:
    repo = load_repo(fleet_dir).repo
    if repo.fleet is None:
        fail(f"{fleet_dir}: no valid FleetConfig", EXIT_FINDINGS)
    groups = [
        (group, float(ring.devices_expected or 100))
        for ring in repo.fleet.rings
        for group in ring.intune_group_ids
    ]
    if not groups:
        fail(f"{fleet_dir}: no ring has Intune group ids", EXIT_FINDINGS)
    return groups


@sandbox_app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 0,
    devices: Annotated[int, typer.Option(help="Simulated Windows devices.")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the fleet and the faults.")] = 0,
    faults: Annotated[str, typer.Option(help="Fault spec, e.g. '429@/v1.0/*:0.1'.")] = "",
    fleet: Annotated[
        Path | None, typer.Option(help="Fleet repo whose rings' groups the devices join.")
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TEXT,
) -> None:
    """Serve the emulated Graph tenant on 127.0.0.1 and print how to reach it."""
    try:
        parse_faults(faults)
    except FaultSpecError as exc:
        fail(str(exc))
    groups = _ring_groups(fleet or data_dir("examples") / "fleet-repo")
    asyncio.run(_serve(port, devices, seed, faults, groups, output))


async def _serve(
    port: int,
    devices: int,
    seed: int,
    faults: str,
    groups: list[tuple[str, float]],
    output: OutputFormat,
) -> None:
    sandbox = Sandbox(
        port=port, seed=seed, devices_windows=devices, ring_groups=groups, faults=faults
    )
    await sandbox.start()
    info = {
        **sandbox.connection_info(),
        # Jamf Pro is not emulated yet
        "jamfUrl": None,
        "jamfClientId": None,
        "jamfClientSecret": None,
    }
    if output is OutputFormat.JSON:
        # one object on the first line, so scripts can read it before the server blocks
        print(json.dumps(info), flush=True)
    else:
        for key, value in info.items():
            console.print(f"{key:18} {value}")
        console.print("serving until interrupted (Ctrl-C)")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await sandbox.stop()
