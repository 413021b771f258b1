"""Trust maturity from deployment history and the Git history of the level."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import git

from reconciler.domain.documents.loader import load_repo
from reconciler.domain.documents.models import FleetRepo, Incident
from reconciler.domain.evaluation.maturity import Deployment, LevelChange, assess_maturity
from reconciler.gitops import GitProvenance, build_example_repo
from tests.conftest import EXAMPLE_REPO, ROOT

KEYS = ROOT / "examples" / "keys"
NOW = datetime(2026, 12, 20, 12, tzinfo=UTC)
GOVERNED = LevelChange(2, "a" * 40, datetime(2026, 9, 14, 9, tzinfo=UTC), "carol@contoso.example")


def _repo() -> FleetRepo:
    return load_repo(EXAMPLE_REPO).repo


def _entries(intent: str, count: int, start: datetime) -> list[Deployment]:
    rings = ("lab", "canary", "pilot", "broad", "global")
    return [Deployment(intent, rings[i % 5], start + timedelta(hours=i)) for i in range(count)]


def _criteria(report: object) -> dict[str, object]:
    return {c.name: c for c in report.criteria}  # type: ignore[attr-defined]


def test_rate_is_attributable_incidents_over_ring_entries_in_the_window() -> None:
    repo = _repo()
    incidents = sorted(repo.incidents.values(), key=lambda i: i.opened_at)
    first = next(i for i in incidents if i.opened_at > GOVERNED.at)
    # the incident's intent entered a ring a day before the incident opened
    deployed = _entries(first.intent, 3, first.opened_at - timedelta(days=1))
    others = _entries("vlc-3.0.21", 197, datetime(2026, 9, 20, tzinfo=UTC))
    report = assess_maturity(repo, NOW, deployments=deployed + others, level_change=GOVERNED)
    assert report.window_start == GOVERNED.at and report.since_source == "git"
    assert len(report.deployments) == 200
    assert first in report.incidents
    assert report.incident_rate == len(report.incidents) / 200
    rate = _criteria(report)["incident rate"]
    assert f"{len(report.incidents)} incidents / 200 deployments" in rate.actual  # type: ignore[attr-defined]
    # incidents of intents with no ring entry before they opened are listed, not counted
    assert all(i.intent != first.intent or i.opened_at < deployed[0].entered_at
               for i in report.unattributed)  # fmt: skip
    assert set(report.incidents).isdisjoint(report.unattributed)


def test_entries_before_the_window_are_not_deployments_of_it() -> None:
    old = _entries("vlc-3.0.21", 50, datetime(2026, 6, 1, tzinfo=UTC))
    recent = _entries("vlc-3.0.21", 4, datetime(2026, 10, 1, tzinfo=UTC))
    report = assess_maturity(_repo(), NOW, deployments=old + recent, level_change=GOVERNED)
    assert [d.entered_at for d in report.deployments] == [d.entered_at for d in recent]


def test_weeks_at_level_come_from_the_governed_change() -> None:
    report = assess_maturity(_repo(), NOW, deployments=[], level_change=GOVERNED)
    expected = (NOW - GOVERNED.at) / timedelta(weeks=1)
    assert report.weeks_at_level is not None and abs(report.weeks_at_level - expected) < 1e-9
    assert _criteria(report)["weeks at level"].met is (expected >= 12)  # type: ignore[attr-defined]
    # no deployment in the window: a rate over nothing proves nothing
    assert _criteria(report)["incident rate"].met is False  # type: ignore[attr-defined]


def test_an_unsigned_level_change_proves_no_weeks_and_widens_the_window() -> None:
    unsigned = replace(GOVERNED, signer=None, at=datetime(2026, 11, 30, tzinfo=UTC))
    report = assess_maturity(_repo(), NOW, deployments=[], level_change=unsigned)
    weeks = _criteria(report)["weeks at level"]
    assert weeks.met is False and "without a trusted signature" in weeks.actual  # type: ignore[attr-defined]
    # incidents are counted from the declared (earlier) since, not the unsigned date
    assert report.window_start == datetime(2026, 9, 14, tzinfo=UTC)


def test_without_history_the_rate_is_unknown_not_zero() -> None:
    report = assess_maturity(_repo(), NOW, deployments=None, level_change=GOVERNED)
    rate = _criteria(report)["incident rate"]
    assert rate.met is False and "no deployment history" in rate.actual  # type: ignore[attr-defined]
    assert not report.history_known


def test_a_p2_in_the_window_blocks_level_3() -> None:
    repo = _repo()
    p2: Incident = next(i for i in repo.incidents.values() if i.severity.value == "P2")
    report = assess_maturity(
        repo, NOW, deployments=_entries(p2.intent, 400, GOVERNED.at), level_change=GOVERNED
    )
    assert _criteria(report)["P2 incidents"].met is False  # type: ignore[attr-defined]
    assert not report.ready and "P2 incidents" in [c.name for c in report.blocking]


def test_git_finds_the_signed_commit_that_set_the_level(tmp_path: Path) -> None:
    repo = build_example_repo(EXAMPLE_REPO, tmp_path / "fleet", KEYS)
    change = GitProvenance(repo, KEYS / "allowed_signers").level_change()
    assert change is not None and change.level == 2
    assert change.at == datetime(2026, 9, 14, 9, tzinfo=UTC)
    assert change.governed and change.signer == "carol.nguyen@contoso.example"
    # without the signers file the same commit is not governed
    assert GitProvenance(repo, None).level_change().governed is False  # type: ignore[union-attr]
    # a later edit that keeps the level does not move the change; one that sets it does
    handle = git.Repo(repo)
    fleet = repo / "fleet.yaml"
    env = {"GIT_AUTHOR_NAME": "Dana", "GIT_AUTHOR_EMAIL": "dana@contoso.example",
           "GIT_COMMITTER_NAME": "Dana", "GIT_COMMITTER_EMAIL": "dana@contoso.example"}  # fmt: skip
    fleet.write_text(fleet.read_text().replace("prune: false", "prune: false\n"))
    handle.git.commit("-am", "tidy", "--no-gpg-sign", env=env)
    assert GitProvenance(repo, KEYS / "allowed_signers").level_change() == change
    fleet.write_text(fleet.read_text().replace("level: 2 ", "level: 3 ", 1))
    handle.git.commit("-am", "raise to 3", "--no-gpg-sign", env=env)
    raised = GitProvenance(repo, KEYS / "allowed_signers").level_change()
    assert raised is not None and raised.level == 3 and not raised.governed
