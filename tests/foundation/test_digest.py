"""The intent digest is stable across YAML layout and changed by any semantic change."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.domain.documents.digest import canonical_json, intent_digest
from reconciler.domain.documents.loader import load_repo
from tests.foundation._repo import example_text, make_repo


def _digest_of(tmp_path: Path, text: str) -> str:
    result = load_repo(make_repo(tmp_path, {"intents/7zip-24.08.yaml": text}))
    assert result.ok, result.findings
    return result.repo.intents["7zip-24.08"].digest


ORIGINAL = example_text("intents/7zip-24.08.yaml")


def _reformatted() -> str:
    """The same document in flow style, reversed key order, other quoting, comments, anchors."""
    data = yaml.safe_load(ORIGINAL)

    def reverse(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reverse(v) for v in value]
        return value

    text = yaml.safe_dump(reverse(data), default_flow_style=True, sort_keys=False, width=60)
    return "# reformatted\n" + text


def test_digest_is_stable_across_layout(tmp_path: Path) -> None:
    original = _digest_of(tmp_path / "a", ORIGINAL)
    assert _digest_of(tmp_path / "b", _reformatted()) == original
    quoted = ORIGINAL.replace("until: global", "until: 'global'  # all the way")
    assert _digest_of(tmp_path / "c", quoted) == original
    anchored = ORIGINAL.replace("requester: dana.lee", "requester: &who dana.lee")
    assert _digest_of(tmp_path / "d", anchored) == original


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('version: "24.08"', 'version: "24.09"'),
        ("targetUsers: 900", "targetUsers: 901"),
        ("until: global", "until: broad"),
        ("privileged: false", "privileged: true"),
        ('sha256: "98d5', 'sha256: "08d5'),
        ("critical: 0", "critical: 1"),
    ],
)
def test_any_semantic_change_changes_the_digest(tmp_path: Path, old: str, new: str) -> None:
    assert old in ORIGINAL
    assert _digest_of(tmp_path / "a", ORIGINAL) != _digest_of(
        tmp_path / "b", ORIGINAL.replace(old, new)
    )


def test_digest_format_and_canonical_form() -> None:
    spec = {"b": [1, 2.5, "é"], "a": {"y": True, "x": None}}
    assert canonical_json(spec) == '{"a":{"x":null,"y":true},"b":[1,2.5,"é"]}'.encode()
    digest = intent_digest(spec)
    assert digest.startswith("sha256:") and len(digest) == 7 + 64
    shuffled = copy.deepcopy({"a": {"x": None, "y": True}, "b": [1, 2.5, "é"]})
    assert intent_digest(shuffled) == digest
    # list order is meaningful
    assert intent_digest({**spec, "b": [2.5, 1, "é"]}) != digest


def test_explicit_default_is_a_change(tmp_path: Path) -> None:
    with_default = ORIGINAL.replace("    driftPolicy: correct\n", "")
    assert _digest_of(tmp_path / "a", with_default) != _digest_of(tmp_path / "b", ORIGINAL)
