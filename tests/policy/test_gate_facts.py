"""The facts behind time to compliance and rollback-validated, computed in Python."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from reconciler.domain.compliance import (
    CheckInHistory,
    Connectivity,
    ConnectivityConfig,
    observe_check_in,
    ring_compliance,
    update_histories,
)
from reconciler.domain.loader import load_repo
from reconciler.domain.models import OnFailure
from reconciler.domain.progress import drill_ring
from reconciler.domain.rollback import (
    RollbackEvidence,
    build_key,
    observed_rollback,
    rollback_facts,
)
from reconciler.domain.tenant import DeviceInstall, ObservedApp, Platform
from tests.conftest import EXAMPLE_REPO

T0 = datetime(2026, 11, 20, 8, tzinfo=UTC)
H = timedelta(hours=1)
CONFIG = ConnectivityConfig()


@pytest.mark.parametrize(
    ("gap", "expected"),
    [
        (8, Connectivity.ONLINE),
        (24, Connectivity.ONLINE),  # boundary: within 24 h is online
        (24.01, Connectivity.INTERMITTENT),
        (72, Connectivity.INTERMITTENT),
        (72.01, Connectivity.AIR_GAPPED),
    ],
)
def test_classes_from_the_check_in_gap(gap: float, expected: Connectivity) -> None:
    assert CONFIG.classify(gap) is expected


def test_history_keeps_the_longest_gap_and_the_first_time_in_the_desired_state() -> None:
    history = observe_check_in(None, T0)
    history = observe_check_in(history, T0 + 8 * H)
    history = observe_check_in(history, T0 + 60 * H, {"zip": T0 + 60 * H})
    history = observe_check_in(history, T0 + 68 * H, {"zip": T0 + 68 * H})  # later report
    assert history.longest_gap_hours == 52
    assert history.reached["zip"] == T0 + 60 * H
    # seen again with an older check-in: nothing moves back
    assert observe_check_in(history, T0 + 8 * H) == history
    # a long silence reclassifies the device before it checks in again
    assert CONFIG.classify(history.gap_hours(T0 + 68 * H + 100 * H)) is Connectivity.AIR_GAPPED
    assert CheckInHistory.from_dict(history.to_dict()) == history


def _device(n: int, state: str, last: datetime, reached: datetime | None = None) -> DeviceInstall:
    return DeviceInstall(f"windows:{n}", state, last, reached)


def test_ring_compliance_counts_per_class_against_its_target() -> None:
    since = T0
    now = T0 + 30 * H
    devices = [
        _device(1, "installed", T0 + 8 * H, T0 + 8 * H),  # online, in time
        _device(2, "installed", T0 + 26 * H, T0 + 26 * H),  # online, 26 h > 24 h: missed
        _device(3, "pending", T0 + 16 * H),  # online, window closed at 24 h: missed
        _device(4, "failed", T0 - 40 * H),  # silent 70 h: intermittent, window open
        _device(5, "pending", T0 - 100 * H),  # silent 130 h: air-gapped, window open
        _device(1, "installed", T0 + 8 * H, T0 + 8 * H),  # the same device twice counts once
    ]
    histories = update_histories({}, [("zip", d) for d in devices])
    result = ring_compliance(
        intent="zip", ring="lab", since=since, devices=devices, histories=histories,
        config=CONFIG, now=now,
    )  # fmt: skip
    counts = {c.connectivity: (c.targeted, c.compliant, c.open, c.missed) for c in result.classes}
    assert counts == {
        Connectivity.ONLINE: (3, 1, 0, 2),
        Connectivity.INTERMITTENT: (1, 0, 1, 0),
        Connectivity.AIR_GAPPED: (1, 0, 1, 0),
    }
    assert result.share == 1 / 5
    document = result.to_input()
    assert document["classes"]["airGapped"]["windowEndsAt"] == (since + 168 * H).timestamp()
    assert (document["targeted"], document["open"], document["missed"]) == (5, 2, 2)


def test_an_unknown_ring_entry_keeps_every_window_open() -> None:
    devices = [_device(1, "pending", T0 - 500 * H)]
    result = ring_compliance(
        intent="zip", ring="lab", since=None, devices=devices, histories={}, config=CONFIG,
        now=T0 + 1000 * H,
    )  # fmt: skip
    assert (result.total("open"), result.total("missed")) == (1, 0)


def _app(platform: Platform, intent: str, **changes: object) -> ObservedApp:
    base: dict[str, object] = {
        "platform": platform, "id": f"{platform.value}-{intent}", "display_name": intent,
        "version": "1", "marker": None, "properties": MappingProxyType({}),
        "content_ready": True,
    }  # fmt: skip
    base.update(changes)
    return ObservedApp(**base)  # type: ignore[arg-type]


def test_rollback_facts_name_what_exists_per_platform() -> None:
    repo = load_repo(EXAMPLE_REPO).repo
    intent = repo.intents["7zip-24.08"]
    managed = {
        Platform.WINDOWS: {
            "7zip-24.08": [
                _app(
                    Platform.WINDOWS,
                    "7zip-24.08",
                    properties=MappingProxyType({"uninstallCommandLine": "msiexec /x {X} /qn"}),
                    removable=True,
                )
            ],
            "7zip-23.01": [_app(Platform.WINDOWS, "7zip-23.01", content_ready=False)],
        },
        Platform.MACOS: {"7zip-24.08": [_app(Platform.MACOS, "7zip-24.08", content_ready=False)]},
    }
    facts = rollback_facts(intent=intent, managed=managed, evidence=None).to_input()
    assert facts["supersedes"] == "7zip-23.01"
    assert facts["superseded"] == {
        "macos": {"present": False, "assignable": False},
        "windows": {"present": True, "assignable": False},
    }
    assert facts["uninstall"] == {"macos": False, "windows": True}
    assert facts["validated"] is None


def test_a_rollback_counts_where_devices_had_the_build_and_lost_it() -> None:
    repo = load_repo(EXAMPLE_REPO).repo
    intent, fleet = repo.intents["7zip-24.08"], repo.fleet
    assert fleet is not None
    lab, pilot = "lab-group", "pilot-group"
    gone = [_device(n, "uninstalled", T0) for n in (1, 2, 3)]
    app = _app(
        Platform.WINDOWS, "7zip-24.08",
        devices=MappingProxyType({lab: tuple(gone), pilot: (_device(9, "uninstalled", T0),)}),
    )  # fmt: skip
    installed_once = {
        d.device: observe_check_in(None, T0 - H, {"7zip-24.08": T0 - 2 * H}) for d in gone[:2]
    }
    installed_once["windows:9"] = observe_check_in(None, T0 - H, {"7zip-24.08": T0 - 2 * H})
    evidence = observed_rollback(
        intent=intent, fleet=fleet, reached=("lab", "canary", "pilot"),
        ring_groups={"lab": [lab], "pilot": [pilot]}, apps=[app], histories=installed_once,
        now=T0,
    )  # fmt: skip
    # device 3 never had the build; pilot is a CAB ring, not where a rollback is proven
    assert evidence is not None and (evidence.ring, evidence.devices) == ("lab", 2)
    assert evidence.build == build_key(intent)
    none_had_it = observed_rollback(
        intent=intent, fleet=fleet, reached=("lab",), ring_groups={"lab": [lab]}, apps=[app],
        histories={}, now=T0,
    )  # fmt: skip
    assert none_had_it is None


def test_the_build_is_the_packages_not_the_revision() -> None:
    repo = load_repo(EXAMPLE_REPO).repo
    zip_new, zip_old = repo.intents["7zip-24.08"], repo.intents["7zip-23.01"]
    assert build_key(zip_new) != build_key(zip_old)
    assert build_key(zip_new) == build_key(zip_new)


def test_a_rollback_drill_runs_only_where_it_proves_something() -> None:
    repo = load_repo(EXAMPLE_REPO).repo
    fleet = repo.fleet
    assert fleet is not None
    base = repo.intents["7zip-24.08"]
    drilled = replace(
        base,
        rollout=replace(base.rollout, on_failure=OnFailure.ROLLBACK, rollback_drill=True),
    )
    none_seen = rollback_facts(intent=drilled, managed={}, evidence=None)
    assert drill_ring(drilled, fleet, "canary", none_seen) == "lab"
    assert drill_ring(drilled, fleet, "lab", none_seen) is None  # lab judges canary's entry
    assert drill_ring(drilled, fleet, "pilot", none_seen) is None  # already a CAB ring
    seen = replace(
        none_seen, validated=RollbackEvidence(build_key(drilled), drilled.name, "lab", 1, T0)
    )
    assert drill_ring(drilled, fleet, "canary", seen) is None
    halting = replace(drilled, rollout=replace(drilled.rollout, on_failure=OnFailure.HALT))
    assert drill_ring(halting, fleet, "canary", none_seen) is None
    off = replace(drilled, rollout=replace(drilled.rollout, rollback_drill=False))
    assert drill_ring(off, fleet, "canary", none_seen) is None
