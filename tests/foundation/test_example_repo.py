"""The shipped example fleet repo is the contract users copy: it must validate clean."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from reconciler.domain.documents.loader import load_repo
from reconciler.domain.documents.models import BlastRadius


def test_example_repo_validates_clean(example_repo: Path) -> None:
    result = load_repo(example_repo)
    assert result.findings == ()
    assert result.ok


def test_example_repo_covers_classes_and_platforms(example_repo: Path) -> None:
    repo = load_repo(example_repo).repo
    assert repo.fleet is not None
    assert len(repo.fleet.rings) == 5
    assert len(repo.intents) >= 12
    classes = Counter(i.blast_radius for i in repo.intents.values())
    assert set(classes) == set(BlastRadius)
    assert any(i.windows for i in repo.intents.values())
    assert any(i.macos for i in repo.intents.values())
    assert repo.exceptions and repo.approvals
    assert {i.status for i in repo.incidents.values()} >= {"resolved", "investigating"}
    assert repo.risk_model is not None and repo.risk_model.name == "v1.1"
