"""``eucora docs``: regenerate documentation that is derived from the schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli._common import EXIT_FINDINGS, app, console, fail
from reconciler.domain.documents.reference import render_reference, splice

docs_app = typer.Typer(
    help="Generate documentation derived from the schemas.", no_args_is_help=True
)
app.add_typer(docs_app, name="docs")


@docs_app.command("reference")
def reference(
    write: Annotated[
        bool, typer.Option("--write", help="Rewrite the reference section of README.md.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when README.md's reference is stale.")
    ] = False,
    readme: Annotated[Path, typer.Option(help="README to update.")] = Path("README.md"),
) -> None:
    """Print the document reference (Markdown) rendered from the schemas."""
    text = render_reference()
    if not (write or check):
        print(text, end="")
        return
    try:
        current = readme.read_text(encoding="utf-8")
        updated = splice(current, text)
    except (OSError, ValueError) as exc:
        fail(f"{readme}: {exc}")
    if check:
        if updated != current:
            fail(
                f"{readme}: reference is stale; run `eucora docs reference --write`", EXIT_FINDINGS
            )
        console.print(f"{readme}: reference is up to date")
        return
    readme.write_text(updated, encoding="utf-8")
    console.print(f"{readme}: reference updated")
