"""The README's commands, run as written, so that the README cannot go stale.

Blocks between ``<!-- doctest:NAME -->`` and ``<!-- doctest:end -->`` run in bash with
``set -euo pipefail`` and ``eucora`` on PATH, from a directory that has the repository's
``examples/`` (as the README's "from the repository root"). Only the sandbox port (a free
one instead of 8765, which another process may hold) and the tour's /tmp directory are
replaced; a background job is stopped at the end.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

BLOCK = re.compile(
    r"<!-- doctest:(?P<name>[\w-]+) -->\n```sh\n(?P<body>.*?)```\n<!-- doctest:end -->", re.S
)


def _blocks() -> dict[str, str]:
    return {m["name"]: m["body"] for m in BLOCK.finditer((ROOT / "README.md").read_text())}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    (cwd / "examples").symlink_to(ROOT / "examples")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "COLUMNS": "200"}  # fmt: skip
    wrapped = (
        f"set -euo pipefail\n{script}\nif jobs %1 >/dev/null 2>&1; then kill %1; wait || true; fi\n"
    )
    return subprocess.run(
        ["bash", "-c", wrapped], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip


def test_the_readme_has_the_blocks_this_test_runs() -> None:
    blocks = _blocks()
    assert set(blocks) == {"first-hour", "tour"}
    assert len(blocks["first-hour"].strip().splitlines()) == 3  # the three-command path


@pytest.mark.timeout(600)
def test_the_first_hour_three_commands_work_as_written(tmp_path: Path) -> None:
    port = _free_port()
    script = _blocks()["first-hour"].replace("8765", str(port))
    result = _run(script, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "export INTUNE_TENANT_ID=" in result.stdout  # what serve printed
    assert "pass 1 at" in result.stdout and "7zip-24.08" in result.stdout
    assert re.search(r"\d+ intents · [1-9]\d* write\(s\)", result.stdout)
    assert (tmp_path / ".eucora" / "audit.jsonl").is_file()


@pytest.mark.timeout(600)
def test_the_tour_works_as_written(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    script = _blocks()["tour"].replace("/tmp/eucora-tour", str(tmp_path / "tour"))
    result = _run(script, work)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "31 documents in 31 files: no findings" in out
    assert "risk 78" in out
    assert "unknown-signer" in out and "next: eucora approve globalprotect-6.3.2" in out
    assert "<!-- eucora-plan -->" in out and "✋" in out and "⏸️" in out
