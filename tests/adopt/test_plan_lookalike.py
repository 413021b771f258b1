"""``eucora plan`` against a tenant holding a hand-made app named like an intent: the
look-alike is a blocking finding (exit 1) that says how to adopt it, not a create."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from tests.adopt.conftest import Served, serve
from tests.engine._harness import SIGNERS, edit, keep_only

runner = CliRunner()


@pytest.fixture
def one_hand_made() -> Iterator[Served]:
    yield from serve(1, 0)


def test_plan_blocks_on_a_look_alike_and_says_how_to_adopt(
    fleet: Path, one_hand_made: Served
) -> None:
    keep_only(fleet, ["7zip-24.08", "7zip-23.01"])
    edit(fleet, "intents/7zip-24.08.yaml", "    supersedes: 7zip-23.01\n", "")
    keep_only(fleet, ["7zip-24.08"])
    app_id = one_hand_made.seeded["intune"][0]

    def rename() -> None:
        one_hand_made.sandbox.graph.apps[app_id].data["displayName"] = "7-Zip 24.08"

    one_hand_made.call(rename)
    result = runner.invoke(
        app,
        ["plan", str(fleet), "--sandbox", one_hand_made.url, "--signers", str(SIGNERS),
         "--format", "json"],
        env=one_hand_made.env,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    intent = next(i for i in document["intents"] if i["name"] == "7zip-24.08")
    blocking = [b for b in intent["blocking"] if b.startswith("look-alike")]
    assert blocking and f'adopt: {{intune: "{app_id}"}}' in blocking[0]
    kinds = {(a["platform"], a["kind"]) for a in intent["actions"]}
    assert ("windows", "look-alike") in kinds and ("windows", "create-app") not in kinds
    assert ("macos", "create-app") in kinds  # no look-alike there: created as before
