"""GitSource planning, intervals and the single error mapping."""

from __future__ import annotations

from pathlib import Path

import kopf
import pytest

from reconciler.domain.documents.loader import load_repo
from reconciler.domain.errors import InvalidRepositoryError, SourceError
from reconciler.operator import _materialize as m
from reconciler.operator._errors import kopf_errors
from tests.conftest import EXAMPLE_INTENTS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/fleet-repo"


@pytest.fixture(scope="module")
def desired() -> dict[str, dict]:
    repo = load_repo(EXAMPLE).repo
    return m.desired_objects(repo, source="fleet", namespace="ns", uid="u1", revision="c" * 40)


def test_desired_objects_carry_owner_digest_and_revision(desired: dict[str, dict]) -> None:
    obj = desired["7zip-24.08"]
    assert obj["metadata"]["ownerReferences"][0]["uid"] == "u1"
    assert obj["metadata"]["labels"][m.SOURCE_LABEL] == "fleet"
    assert obj["metadata"]["annotations"][m.REVISION_ANNOTATION] == "c" * 40
    assert obj["metadata"]["annotations"][m.DIGEST_ANNOTATION].startswith("sha256:")
    assert obj["spec"]["evidence"]["scan"]["date"] == "2026-11-18"
    assert len(desired) == EXAMPLE_INTENTS


def test_plan_creates_updates_and_deletes(desired: dict[str, dict]) -> None:
    assert len(m.plan(desired, {}).create) == len(desired)
    existing = {k: v for k, v in desired.items() if k != "vlc-3.0.21"}
    changed = dict(desired["7zip-24.08"], metadata={"annotations": {m.DIGEST_ANNOTATION: "x"}})
    existing["7zip-24.08"] = changed
    existing["old-app-1.0"] = {"metadata": {"annotations": {}}}
    plan = m.plan(desired, existing)
    assert [o["metadata"]["name"] for o in plan.create] == ["vlc-3.0.21"]
    assert [o["metadata"]["name"] for o in plan.update] == ["7zip-24.08"]
    assert plan.delete == ["old-app-1.0"]
    assert m.plan(desired, desired).update == []


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400)])
def test_interval(text: str, seconds: float) -> None:
    assert m.parse_interval(text) == seconds


def test_bad_interval() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        m.parse_interval("5 minutes")


def test_ref_of() -> None:
    assert m.ref_of({}) == "main"
    assert m.ref_of({"ref": {"tag": "v1"}}) == "v1"


def test_transient_errors_retry_after_their_hint() -> None:
    with pytest.raises(kopf.TemporaryError) as info, kopf_errors():
        raise SourceError("git down")
    assert info.value.delay == SourceError("x").requeue_after


def test_permanent_errors_do_not_retry() -> None:
    with pytest.raises(kopf.PermanentError), kopf_errors():
        raise InvalidRepositoryError("bad repo")


def test_desired_objects_inherit_source_labels_for_sharding() -> None:
    repo = load_repo(EXAMPLE).repo
    objs = m.desired_objects(
        repo, source="fleet", namespace="ns", uid="u1", revision="c" * 40,
        source_labels={"eucora.io/shard": "emea", m.SOURCE_LABEL: "spoofed"},
    )  # fmt: skip
    labels = objs["7zip-24.08"]["metadata"]["labels"]
    assert labels == {"eucora.io/shard": "emea", m.SOURCE_LABEL: "fleet"}
