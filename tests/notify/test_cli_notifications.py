"""``eucora reconcile --notifications FILE``: the standalone loop tells a JSON webhook what
its pass changed, with the URL from the environment; a bad file is a clear error."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.engine._harness import example_git
from tests.notify._standin import stand_in

EUCORA = [sys.executable, "-c", "from reconciler.cli import main; main()"]


async def run(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *EUCORA, *args, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=240)
    return process.returncode or 0, out.decode(), err.decode()


async def test_a_reconcile_pass_is_told_to_the_webhook(tmp_path: Path) -> None:
    repo = example_git(tmp_path / "cache", tmp_path / "fleet")
    settings = tmp_path / "notify.yaml"
    settings.write_text("webhooks:\n  - urlEnv: EUCORA_TEST_HOOK\n    events: [promotion]\n")
    async with stand_in() as server:
        code, out, err = await run(
            "reconcile", str(repo), "--sandbox", "--once", "--state", str(tmp_path / "s.db"),
            "--notifications", str(settings), "--format", "json",
            "--signers", str(ROOT / "examples" / "keys" / "allowed_signers"),
            env={"EUCORA_TEST_HOOK": f"{server.url}/hook"},
        )  # fmt: skip
    assert code in (0, 1), err
    events = server.at("/hook")
    assert events, err
    assert {e["kind"] for e in events} == {"promotion"}
    first = next(e for e in events if e["intent"] == "7zip-24.08")
    assert first["ring"] == "lab" and first["reason"] == "Promoted"
    assert first["source"] == str(repo) and len(first["revision"]) == 40
    assert f"{server.url}/hook" not in out + err  # the URL is a secret


async def test_a_bad_notifications_file_names_the_field(tmp_path: Path) -> None:
    settings = tmp_path / "notify.yaml"
    settings.write_text("slack:\n  - url: https://hooks.slack.example/x\n")
    code, _, err = await run("reconcile", str(tmp_path), "--sandbox", "--once",
                             "--notifications", str(settings), env={})  # fmt: skip
    assert code == 5  # a configuration error (docs/cli.md)
    assert "notify.yaml: slack.0: Additional properties are not allowed ('url'" in err
