"""One exit-code table for every command, and errors as JSON on stdout with --format json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.cli import validate as validate_module
from reconciler.cli._exit import EXIT_CODES
from reconciler.domain.errors import (
    AuthenticationError,
    ConfigurationError,
    RequestRejectedError,
    TransientTenantError,
)

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_the_documented_table_is_the_table_the_code_uses() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    block = text.split("<!-- exit-codes:start -->")[1].split("<!-- exit-codes:end -->")[0]
    rows = re.findall(r"^\| (\d+) \| `([a-z-]+)` \| (.+) \|$", block, re.M)
    assert [(int(c), k, m) for c, k, m in rows] == [
        (int(e.code), e.kind, e.meaning) for e in EXIT_CODES
    ]
    assert len({e.code for e in EXIT_CODES}) == len(EXIT_CODES)


def _error(args: list[str]) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, args)
    return result.exit_code, json.loads(result.stdout)["error"]


def test_a_usage_error_under_format_json_is_json_on_stdout() -> None:
    code, error = _error(["validate", "--bogus", "--format", "json"])
    assert code == 2
    assert error == {
        "kind": "usage",
        "exitCode": 2,
        "reason": "UsageError",
        "message": "No such option: --bogus",
    }


def test_a_missing_repo_under_format_json_is_json_on_stdout(tmp_path: Path) -> None:
    code, error = _error(["plan", str(tmp_path / "nope"), "-f", "json"])
    assert code == 2 and error["kind"] == "usage"
    assert "is not a directory" in str(error["message"])


def test_without_json_errors_stay_off_stdout(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", str(tmp_path / "nope")])
    assert result.exit_code == 2 and result.stdout == ""
    assert "is not a directory" in result.stderr


@pytest.mark.parametrize(
    ("error", "code", "kind"),
    [
        (TransientTenantError("graph: 503 after 5 tries", status=503), 4, "transient"),
        (AuthenticationError("graph: 401 invalid_client", status=401), 5, "auth-config"),
        (ConfigurationError("INTUNE_CLIENT_SECRET is not set"), 5, "auth-config"),
        (RequestRejectedError("graph: 400 bad payload", status=400), 6, "rejected"),
        (RuntimeError("boom"), 70, "internal"),
    ],
)
def test_errors_map_to_distinct_codes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, error: Exception, code: int, kind: str
) -> None:
    def broken(_root: object, **_options: object) -> None:
        raise error

    monkeypatch.setattr(validate_module, "load_repo", broken)
    got, document = _error(["validate", str(tmp_path), "-f", "json"])
    assert got == code and document["kind"] == kind and document["exitCode"] == code
    text = runner.invoke(app, ["validate", str(tmp_path)])
    assert text.exit_code == code and text.stdout == ""
    assert "Traceback" not in text.stderr


def test_a_crash_outside_handle_errors_is_one_line_and_exit_70(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def crash(*_args: object, **_kwargs: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(validate_module, "render_findings", crash)
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 70
    assert "internal error: KeyError" in result.stderr and "Traceback" not in result.stderr
