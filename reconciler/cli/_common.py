"""Shared CLI plumbing: the Typer app, output formats, consoles and exit codes.

Errors become exit codes here and nowhere else (the table is :mod:`._exit`). When the
command line asks for ``--format json``, every error, usage errors included, is one JSON
document on stdout (``{"error": {"kind", "exitCode", "message", "reason"}}``) as well as
the message on stderr.
"""

from __future__ import annotations

import contextvars
import enum
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from reconciler import __version__
from reconciler.cli._exit import KIND, Exit
from reconciler.domain.errors import (
    AuthenticationError,
    ConfigurationError,
    EucoraError,
    PermanentTenantError,
    StateStoreError,
)

EXIT_OK = Exit.OK
EXIT_FINDINGS = Exit.FINDINGS
EXIT_USAGE = Exit.USAGE
EXIT_DENIED = Exit.DENIED
EXIT_TRANSIENT = Exit.TRANSIENT
EXIT_AUTH_CONFIG = Exit.AUTH_CONFIG
EXIT_REJECTED = Exit.REJECTED
EXIT_INTERNAL = Exit.INTERNAL

#: set for the duration of one command line that asked for ``--format json``
_json_errors: contextvars.ContextVar[bool] = contextvars.ContextVar("json_errors", default=False)


def wants_json(args: Sequence[str]) -> bool:
    """Whether a command line asks for JSON output (``--format json``, ``-f json``, …)."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg in {"--format=json", "-fjson"}:
            return True
        if arg in {"--format", "-f"} and i + 1 < len(args) and args[i + 1] == "json":
            return True
    return False


# click's ClickException, found through a public class: typer vendors click in newer releases
_CLICK_ERROR: type[Exception] = typer.BadParameter.__mro__[2]


class _Group(TyperGroup):
    """The root command: usage errors and crashes get the same exit table and JSON errors."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        json_mode = wants_json(argv)
        token = _json_errors.set(json_mode)
        try:
            if not json_mode:  # typer renders usage errors and exits 2 itself
                return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
            try:
                result = super().main(argv, prog_name, complete_var, False, **extra)
            except _CLICK_ERROR as exc:
                message = exc.format_message()  # type: ignore[attr-defined]
                _json_error(Exit.USAGE, message, "UsageError")
                err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
                result = Exit.USAGE
        except Exception as exc:  # a crash anywhere: one line and the internal-error code
            message = f"internal error: {type(exc).__name__}: {exc}"
            if json_mode:
                _json_error(Exit.INTERNAL, message, "InternalError")
            err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
            result = Exit.INTERNAL
            if not json_mode and standalone_mode:
                sys.exit(int(result))
        finally:
            _json_errors.reset(token)
        if not standalone_mode:
            return result
        sys.exit(int(result) if isinstance(result, int) else 0)


app = typer.Typer(
    name="eucora",
    cls=_Group,
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


_REASON: dict[int, str] = {
    Exit.USAGE: "UsageError",
    Exit.FINDINGS: "Findings",
    Exit.INTERNAL: "InternalError",
}


def _json_error(code: int, message: str, reason: str, **more: Any) -> None:
    kind = KIND.get(Exit(code), "error") if code in set(Exit) else "error"
    error: dict[str, Any] = {"kind": kind, "exitCode": int(code), "reason": reason}
    error["message"] = message
    if more:
        error["details"] = more
    print_json({"error": error})


def fail(message: str, code: int = EXIT_USAGE, *, reason: str = "", **details: Any) -> NoReturn:
    """Say what went wrong on stderr (and as JSON on stdout under ``--format json``), exit."""
    if _json_errors.get():
        _json_error(code, message, reason or _REASON.get(code, "Error"), **details)
    err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(int(code))


def exit_code_for(exc: EucoraError) -> Exit:
    """Which exit code an error of the engine or an adapter means for the caller."""
    if isinstance(exc, AuthenticationError | ConfigurationError | StateStoreError):
        return Exit.AUTH_CONFIG
    if exc.transient:
        return Exit.TRANSIENT
    if isinstance(exc, PermanentTenantError):
        return Exit.REJECTED
    return Exit.FINDINGS


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
        hint = " (retry later)" if exc.transient else ""
        fail(f"{exc.reason}: {exc.message}{hint}", exit_code_for(exc), reason=exc.reason)
    except Exception as exc:  # an internal error: say so plainly, no traceback
        fail(f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL, reason="InternalError")


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``app.command`` under another name, so command modules read the same."""
    return app.command(*args, **kwargs)
