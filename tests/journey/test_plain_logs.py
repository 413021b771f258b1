"""Logs carry no ANSI colour codes when stderr is not a terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from reconciler import logs


def _log(env: dict[str, str]) -> str:
    code = (
        "from reconciler import logs; import structlog; logs.configure(level='info');"
        "structlog.get_logger().warning('pass failed', intent='7zip-24.08')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, **env},
    )  # fmt: skip
    return result.stderr


def test_piped_stderr_gets_plain_text() -> None:
    text = _log({})
    assert "pass failed" in text and "intent=7zip-24.08" in text
    assert "\x1b[" not in text


def test_a_terminal_gets_colour_unless_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Tty())
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert logs._colours() is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert logs._colours() is False
