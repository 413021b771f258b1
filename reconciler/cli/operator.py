"""``eucora operator``: run the Kubernetes operator and generate its CRDs from ``schemas/``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reconciler.cli._common import (
    EXIT_AUTH_CONFIG,
    EXIT_FINDINGS,
    EXIT_OK,
    OutputFormat,
    app,
    console,
    err_console,
    fail,
    handle_errors,
    print_json,
)

operator_app = typer.Typer(help="Kubernetes operator: run it, generate its CRDs.")
app.add_typer(operator_app, name="operator")


@operator_app.command("crds")
def crds(
    root: Annotated[Path, typer.Option("--root", help="Project root holding manifests/.")] = Path(),
    write: Annotated[bool, typer.Option("--write", help="Write the files.")] = False,
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TEXT,
) -> None:
    """Check (default) or --write the generated CRDs in manifests/crds and the chart, and
    the OPA sidecar's policy ConfigMap files.

    Exit 1 when a file is missing or differs from what the schemas and policies generate.
    """
    from reconciler.operator import crds as generator  # noqa: PLC0415  (keeps kopf off other commands)
    from reconciler.operator import policy_files  # noqa: PLC0415

    if write:
        paths = generator.write(root) + policy_files.write(root)
        stale: list[Path] = []
    else:
        paths, stale = [], generator.stale(root) + policy_files.stale(root)
    if output is OutputFormat.JSON:
        print_json({"written": [str(p) for p in paths], "stale": [str(p) for p in stale]})
    else:
        table = Table("file", "state")
        for path in paths:
            table.add_row(str(path), "written")
        for path in stale:
            table.add_row(str(path), "[red]stale — run `eucora operator crds --write`[/]")
        if paths or stale:
            console.print(table)
        else:
            console.print("CRDs up to date.")
    raise typer.Exit(EXIT_FINDINGS if stale else EXIT_OK)


@operator_app.command("run")
def run(
    namespace: Annotated[
        list[str] | None,
        typer.Option(
            "--namespace", "-n", help="Namespace to watch (repeatable; or EUCORA_NAMESPACES)."
        ),
    ] = None,
    all_namespaces: Annotated[
        bool, typer.Option("--all-namespaces", "-A", help="Watch all namespaces (the default).")
    ] = False,
    peering: Annotated[
        str | None, typer.Option(help="Peering group for HA (or EUCORA_PEERING; default eucora).")
    ] = None,
    priority: Annotated[
        int | None,
        typer.Option(help="Peering priority (or EUCORA_PEERING_PRIORITY; default random)."),
    ] = None,
    standalone: Annotated[
        bool, typer.Option("--standalone", help="Run without peering (one replica only).")
    ] = False,
    liveness: Annotated[str, typer.Option(help="Probe endpoint.")] = "http://0.0.0.0:8080/healthz",
    kubeconfig: Annotated[
        Path | None,
        typer.Option(
            "--kubeconfig",
            help="Off-cluster: this kubeconfig (default KUBECONFIG, ~/.kube/config).",
        ),
    ] = None,
) -> None:
    """Run the operator (same as `kopf run -m reconciler.operator --liveness ...`).

    Shard with --namespace / EUCORA_NAMESPACES and EUCORA_LABEL_SELECTOR (GitSource labels);
    each shard needs its own peering group.
    """
    import asyncio  # noqa: PLC0415
    import os  # noqa: PLC0415

    if kubeconfig is not None:
        if not kubeconfig.is_file():
            fail(f"no cluster: kubeconfig {kubeconfig} does not exist", EXIT_AUTH_CONFIG)
        os.environ["KUBECONFIG"] = str(kubeconfig)  # kopf reads it when it is imported
    with handle_errors():
        # importing the operator reads its EUCORA_* settings: a bad one is exit 5 here
        from reconciler.operator import OperatorConfig, Wiring, operator_registry  # noqa: PLC0415
        from reconciler.operator.connection import (  # noqa: PLC0415
            check_reachable,
            resolve_connection,
        )

        config = OperatorConfig.from_env(os.environ)
        connection = resolve_connection(os.environ, str(kubeconfig) if kubeconfig else None)
        check_reachable(connection)
    err_console.print(f"operator: cluster {connection.server} ({connection.where})")

    import kopf  # noqa: PLC0415

    runtime = config.runtime
    namespaces = [] if all_namespaces else list(namespace or runtime.namespaces)
    asyncio.run(
        kopf.operator(
            namespaces=namespaces,
            clusterwide=not namespaces,
            peering_name=None if standalone else (peering or runtime.peering),
            priority=priority,
            standalone=standalone,
            liveness_endpoint=liveness,
            registry=operator_registry(Wiring(config)),
        )
    )
