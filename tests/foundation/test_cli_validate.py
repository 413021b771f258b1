"""`eucora validate` and `eucora digest`: formats and exit codes as a PR check uses them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from reconciler.cli import app
from tests.foundation._repo import make_repo

runner = CliRunner()


def _bad_repo(tmp_path: Path) -> Path:
    return make_repo(
        tmp_path,
        {
            "intents/zz.yaml": "apiVersion: eucora.io/v1alpha1\nkind: Nope\nmetadata: {name: zz}\n",
            "intents/yy.yaml": "a: [\n",
        },
    )


def test_clean_repo_exits_0_with_a_summary(example_repo: Path) -> None:
    result = runner.invoke(app, ["validate", str(example_repo)])
    assert result.exit_code == 0, result.output
    assert "31 documents in 31 files: no findings" in result.output


def test_findings_exit_1_and_render_a_table_grouped_by_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(_bad_repo(tmp_path))])
    assert result.exit_code == 1
    out = result.output
    assert out.index("intents/yy.yaml") < out.index("intents/zz.yaml")
    assert "unknown-kind" in out and "yaml-syntax" in out
    assert "2 findings in 2 files" in out


def test_json_format(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(_bad_repo(tmp_path)), "--format", "json"])
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert body["ok"] is False and body["documents"] == 6
    codes = {(f["file"], f["line"], f["code"]) for f in body["findings"]}
    assert ("intents/zz.yaml", 2, "unknown-kind") in codes
    assert set(body["findings"][0]) == {
        "file",
        "line",
        "column",
        "path",
        "code",
        "message",
        "severity",
    }


def test_github_annotations(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(_bad_repo(tmp_path)), "-f", "github"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    pattern = re.compile(r"^::error file=[^,]+,line=\d+,col=\d+,title=[a-z-]+::.+$")
    assert all(pattern.match(line) for line in lines), lines
    assert lines[1].startswith("::error file=intents/zz.yaml,line=2,col=7,title=unknown-kind::")


def test_missing_repo_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope")])
    assert result.exit_code == 2


def test_bad_option_is_a_usage_error(example_repo: Path) -> None:
    result = runner.invoke(app, ["validate", str(example_repo), "--format", "xml"])
    assert result.exit_code == 2


def test_digest_command(example_repo: Path) -> None:
    result = runner.invoke(app, ["digest", "7zip-24.08", "--repo", str(example_repo), "-f", "json"])
    assert result.exit_code == 0
    digest = json.loads(result.output)["7zip-24.08"]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    missing = runner.invoke(app, ["digest", "nope", "--repo", str(example_repo)])
    assert missing.exit_code == 1
