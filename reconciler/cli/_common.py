"""Shared CLI plumbing: the Typer app, output formats, consoles and exit codes."""

from __future__ import annotations

import enum
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console

from reconciler import __version__
from reconciler.domain.errors import EucoraError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_DENIED = 3

app = typer.Typer(
    name="eucora",
    help="GitOps policy-as-code reconciler for Intune and Jamf Pro deployments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Rich falls back to 80 columns when output is piped (CI logs, `| tee`), which folds
# the status and plan tables into columns of syllables; COLUMNS still wins when set.
_PIPED_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160

console = Console(highlight=False, soft_wrap=False, width=_PIPED_WIDTH)
err_console = Console(stderr=True, highlight=False, width=_PIPED_WIDTH)


class OutputFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


class FindingsFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


def _version(value: bool) -> None:
    if value:
        console.print(f"eucora {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """GitOps policy-as-code reconciler for Intune and Jamf Pro deployments."""


def print_json(value: Any) -> None:
    """Machine output: one JSON document on stdout, nothing else."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err_console.print(f"[red]error:[/red] {message}", soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def handle_errors() -> Iterator[None]:
    """The one place where errors become exit codes and messages for people."""
    try:
        yield
    except typer.Exit:
        raise
    except (NotADirectoryError, FileNotFoundError) as exc:
        fail(str(exc), EXIT_USAGE)
    except EucoraError as exc:
        fail(f"{exc.reason}: {exc.message}", EXIT_FINDINGS if not exc.transient else EXIT_USAGE)
    except Exception as exc:  # an internal error: say so plainly, exit 2, no traceback
        fail(f"internal error: {type(exc).__name__}: {exc}", EXIT_USAGE)


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``app.command`` under another name, so command modules read the same."""
    return app.command(*args, **kwargs)
