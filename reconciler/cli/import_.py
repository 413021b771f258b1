"""``eucora import``: a live tenant's apps, packages and policies as draft intents.

Reads every object each provider holds (``import_objects`` on its connector: Intune
win32LobApps with assignments, Jamf Pro packages with their install policies), maps group
assignments onto the FleetConfig's rings and writes one draft DeploymentIntent per
unmanaged object under ``--out`` (each naming the object in ``spec.adopt``) plus
``import-report.json``: what could not be mapped, and why. Output is idempotent: the same
tenant gives the same files, byte for byte. What the tenant cannot tell is a ``TODO: …``
value that ``eucora validate`` flags.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from reconciler.cli._common import (
    OutputFormat,
    command,
    console,
    err_console,
    fail,
    handle_errors,
    print_json,
)
from reconciler.cli.reconcile import configure_logs
from reconciler.compose.connectors import close_all, tenant_file_connectors, url_connectors
from reconciler.connectors.registry import PROVIDERS
from reconciler.domain.documents.imported import ImportResult, TenantObject, draft_intents
from reconciler.domain.documents.loader import load_repo
from reconciler.domain.documents.models import FleetConfig

REPORT = "import-report.json"


def ring_of_group(fleet: FleetConfig | None) -> dict[str, dict[str, str]]:
    """Per provider, each group id of its ring-group key → the first ring that targets it."""
    found: dict[str, dict[str, str]] = {}
    for ring in fleet.rings if fleet is not None else ():
        for name, provider in PROVIDERS.items():
            for group in ring.groups.get(provider.ring_group_key, ()):
                found.setdefault(name, {}).setdefault(str(group), ring.name)
    return found


def _fleet(repo: Path | None) -> FleetConfig | None:
    """The FleetConfig of the fleet repo at ``repo`` (None without one)."""
    if repo is None:
        return None
    return load_repo(repo).repo.fleet


async def _read(
    sandbox: str, tenant: Path | None, progress: Progress
) -> tuple[list[TenantObject], list[str]]:
    """The objects of every provider that can list them, and the providers that cannot
    (said in the output, never skipped silently)."""
    connectors = url_connectors(sandbox) if sandbox else tenant_file_connectors(tenant or Path())
    objects: list[TenantObject] = []
    unread: list[str] = []
    try:
        task = progress.add_task("reading", total=len(connectors))
        for connector in connectors.values():
            name = str(getattr(connector, "provider", connector.platform.value))
            progress.update(task, description=f"reading {name}")
            reader = getattr(connector, "import_objects", None)
            if reader is None:
                unread.append(name)
            else:
                objects += await reader()
            progress.advance(task)
    finally:
        await close_all(connectors)
    return objects, unread


def write_drafts(result: ImportResult, out: Path) -> list[str]:
    """Write the drafts and the report; returns the paths whose content changed."""
    changed = []
    files = {d.path: d.text for d in result.drafts}
    files[REPORT] = json.dumps(result.to_dict(), indent=2, sort_keys=True) + "\n"
    for relative, text in sorted(files.items()):
        target = out / relative
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        changed.append(relative)
    return changed


@command("import")
def import_(
    sandbox: Annotated[
        str, typer.Option("--sandbox", help="Read the sandbox served at this URL.")
    ] = "",
    tenant: Annotated[Path | None, typer.Option("--tenant", help="Tenant file.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Where the drafts go.")] = Path("imported"),
    repo: Annotated[
        Path | None,
        typer.Option("--repo", "-r", help="Fleet repo whose ring groups name the drafts' rings."),
    ] = None,
    name_filter: Annotated[
        str, typer.Option("--filter", help="Only objects whose name matches this glob.")
    ] = "*",
    requester: Annotated[
        str, typer.Option("--requester", help="spec.requester of the drafts.")
    ] = "imported@eucora.invalid",
    output: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TEXT,
) -> None:
    """Read every app and package of a tenant and write draft intents that adopt them."""
    configure_logs(None)
    with handle_errors():
        if bool(sandbox) == (tenant is not None):
            fail("choose one of --sandbox URL and --tenant FILE")
        config = _fleet(repo)
        rings = [r.name for r in config.rings] if config is not None else []
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            console=err_console, transient=True, disable=output is OutputFormat.JSON,
        ) as progress:  # fmt: skip
            objects, unread = asyncio.run(_read(sandbox, tenant, progress))
        result = draft_intents(
            objects, ring_of_group=ring_of_group(config), ring_order=rings,
            requester=requester, name_filter=name_filter,
        )  # fmt: skip
        changed = write_drafts(result, out)
    if output is OutputFormat.JSON:
        print_json(
            {"out": str(out), "read": len(objects), "changed": changed, "notRead": unread}
            | result.to_dict()
        )
        return
    table = Table(title=f"imported {len(result.drafts)} draft(s) into {out}")
    for column in ("intent", "provider", "object", "TODO fields"):
        table.add_column(column)
    for draft in result.drafts:
        table.add_row(draft.intent, draft.provider, draft.object_id, ", ".join(draft.todos))
    console.print(table)
    for item in result.unmapped:
        console.print(f"not mapped: {item.provider} {item.object_id} {item.name!r}: {item.reason}")
    for name in unread:
        console.print(f"not read: provider {name} cannot list its objects for import yet")
    console.print(f"{len(changed)} file(s) written, the rest unchanged; report in {out / REPORT}")
