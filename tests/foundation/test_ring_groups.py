"""Rings name their target groups per provider ring-group key; the form before that gets a
finding that says what to write instead, never a traceback."""

from __future__ import annotations

from pathlib import Path

from reconciler.domain.findings import Code
from reconciler.domain.loader import load_repo
from reconciler.domain.loosening import fleet_loosenings
from tests.conftest import EXAMPLE_REPO
from tests.foundation._repo import example_text, make_repo

LAB_GROUPS = """      groups:
        intune: ["3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01"]
        jamf: [101]
"""
LEGACY_LAB = """      intune: {groupIds: ["3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01"]}
      jamf: {computerGroupIds: [101]}
"""


def test_ring_groups_are_loaded_per_key_as_text() -> None:
    fleet = load_repo(EXAMPLE_REPO).repo.fleet
    assert fleet is not None
    lab = fleet.ring("lab")
    assert lab is not None
    assert dict(lab.groups) == {
        "intune": ("3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01",),
        "jamf": ("101",),
    }
    assert dict(fleet.providers) == {}  # defaults are the registry's, not the domain's


def test_old_ring_form_gets_one_finding_per_key_naming_line_and_replacement(
    tmp_path: Path,
) -> None:
    text = example_text("fleet.yaml")
    assert LAB_GROUPS in text
    old = text.replace(LAB_GROUPS, LEGACY_LAB)
    result = load_repo(make_repo(tmp_path, {"fleet.yaml": old}))
    legacy = [f for f in result.findings if f.code == Code.LEGACY_RING_GROUPS]
    assert [(f.file, f.path) for f in legacy] == [
        ("fleet.yaml", "/spec/rings/0/intune"),
        ("fleet.yaml", "/spec/rings/0/jamf"),
    ]
    line = old.splitlines().index(LEGACY_LAB.splitlines()[0]) + 1
    assert legacy[0].line == line and legacy[1].line == line + 1
    assert "write 'groups: {intune: [\"3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01\"]}'" in (
        legacy[0].message
    )
    assert "write 'groups: {jamf: [101]}'" in legacy[1].message
    # the schema's generic unknown-field findings for the same keys are not repeated
    assert not [f for f in result.findings if f.code == Code.UNKNOWN_FIELD]
    assert result.repo.fleet is None


def test_a_provider_that_does_not_serve_the_platform_is_a_finding(tmp_path: Path) -> None:
    text = example_text("fleet.yaml").replace(
        "  rings:\n", "  providers: {macos: intune}\n  rings:\n", 1
    )
    result = load_repo(make_repo(tmp_path, {"fleet.yaml": text}))
    assert [(f.path, f.code) for f in result.findings] == [
        ("/spec/providers/macos", Code.INVALID_VALUE)
    ]


def test_adding_a_group_under_any_key_and_changing_providers_loosen(tmp_path: Path) -> None:
    base = load_repo(make_repo(tmp_path / "a")).repo.fleet
    text = example_text("fleet.yaml")
    wider = text.replace("        jamf: [101]\n", "        jamf: [101, 105]\n", 1)
    moved = text.replace("  rings:\n", "  providers: {macos: jamf}\n  rings:\n", 1)
    widened = load_repo(make_repo(tmp_path / "b", {"fleet.yaml": wider})).repo.fleet
    switched = load_repo(make_repo(tmp_path / "c", {"fleet.yaml": moved})).repo.fleet
    assert base is not None and widened is not None and switched is not None
    assert "adds group(s) 105 to ring 'lab'" in fleet_loosenings(base, widened)
    assert any("changes the providers" in f for f in fleet_loosenings(base, switched))
