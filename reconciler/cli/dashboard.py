"""``eucora dashboard``: the read-only rollout dashboard, served standalone.

Reads a state store left by ``eucora reconcile`` (``--state``, with its audit log) or the
DeploymentIntents' statuses in a cluster (``--cluster``, through the kubeconfig), and
serves the pages until interrupted. The operator serves the same pages from its own
passes (``EUCORA_DASHBOARD_PORT``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import Annotated

import typer

from reconciler import logs
from reconciler.cli._common import (
    EXIT_OK,
    OutputFormat,
    command,
    console,
    fail,
    handle_errors,
    print_json,
)
from reconciler.cli.reconcile import DEFAULT_STATE
from reconciler.dashboard import Access, FleetSource, StateFileSource, create_app, serve


@command("dashboard")
def dashboard(
    state: Annotated[
        Path | None, typer.Option("--state", help="State store of `eucora reconcile`.")
    ] = None,
    audit: Annotated[
        Path | None, typer.Option("--audit", help="Audit log (default: next to the state).")
    ] = None,
    cluster: Annotated[
        bool,
        typer.Option("--cluster", help="Read the DeploymentIntents of the kubeconfig's cluster."),
    ] = False,
    kube_context: Annotated[
        str | None, typer.Option("--context", help="kubeconfig context (with --cluster).")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8090,
    token_env: Annotated[
        str | None,
        typer.Option(
            "--token-env", help="Require `Authorization: Bearer` with the token in this env var."
        ),
    ] = None,
    user_header: Annotated[
        str | None,
        typer.Option(
            "--user-header",
            help="Trust this header from an authenticating proxy, e.g. X-Forwarded-Email.",
        ),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text or json (the start line).")
    ] = OutputFormat.TEXT,
) -> None:
    """Serve the read-only rollout dashboard (matrix, intents, CAB queue)."""
    logs.configure(level=os.environ.get("EUCORA_LOG_LEVEL", "warning"))
    if cluster and (state is not None or audit is not None):
        fail("--cluster reads the cluster; --state and --audit read a state store")
    token = None
    if token_env is not None:
        token = os.environ.get(token_env, "")
        if not token:
            fail(f"--token-env {token_env}: the variable is not set or empty")
    access = Access(token=token, user_header=user_header)
    source: FleetSource
    if cluster:
        from reconciler.operator.dashboard import ClusterSource  # noqa: PLC0415 (kopf on demand)

        with handle_errors():
            source = ClusterSource.from_kubeconfig(kube_context)
    else:
        path = state if state is not None else DEFAULT_STATE
        if not path.is_file():
            fail(f"--state {path}: no such state store (run `eucora reconcile` first)")
        source = StateFileSource(path, audit)
    url = f"http://{host}:{port}/"
    if output is OutputFormat.JSON:
        what = "cluster" if cluster else str(state if state is not None else DEFAULT_STATE)
        print_json({"url": url, "source": what, "readOnly": True,
                    "auth": {"token": token is not None, "userHeader": user_header}})  # fmt: skip
    else:
        console.print(f"dashboard on {url} (read-only; Ctrl-C stops it)")
    with handle_errors(), contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(source, access, host, port))
    raise typer.Exit(EXIT_OK)


async def _serve(source: FleetSource, access: Access, host: str, port: int) -> None:
    runner = await serve(create_app(source, access=access), host, port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
