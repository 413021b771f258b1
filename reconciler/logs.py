"""Structured logging for every layer but the domain: structlog with secret redaction.

:func:`redact_secrets` is a structlog processor: values under secret-looking keys are
replaced, and bearer tokens, ``client_secret=`` form fields, passwords in URLs and SAS
signatures (``sig=``) are scrubbed from every string value, so that no client secret,
token or password reaches a log line even when it hides inside a message.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

REDACTED = "***"
_SECRET_KEY = re.compile(
    r"(secret|password|passwd|token|authorization|api[_-]?key|credential|cookie|sig"
    r"|encryption[_-]?key|mac[_-]?key)$",
    re.I,
)
_SCRUB = (
    (re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (
        re.compile(r"(?i)((?:client_secret|password|access_token|refresh_token|sig)=)[^&\s\"']+"),
        r"\1" + REDACTED,
    ),
    (
        re.compile(
            r"(?i)(\"(?:client_secret|password|access_token|token|encryptionKey|macKey)\""
            r"\s*:\s*\")[^\"]+"
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)(://[^/\s:@]+:)[^/\s@]+@"), r"\1" + REDACTED + "@"),
)


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


def _clean(key: str, value: Any) -> Any:
    if _SECRET_KEY.search(key) and value not in (None, ""):
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _clean(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(key, v) for v in value]
    return value


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        event_dict[key] = _clean(key, event_dict[key])
    return event_dict


def _current_stderr_logger(*_args: Any) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)


def _colours() -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def configure(*, json_output: bool = False, level: str = "info") -> None:
    """Logs go to stderr, as JSON lines for machines or key=value for people; plain text,
    without ANSI colour codes, when stderr is not a terminal (CI logs, files, pipes)."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=_colours())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        # sys.stderr is looked up per logger, not captured here: a host (a test runner,
        # typer's CliRunner) may swap and close the stream after configure() ran.
        logger_factory=_current_stderr_logger,
        cache_logger_on_first_use=False,
    )
