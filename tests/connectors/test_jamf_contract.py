"""Jamf Pro connector operations against the sandbox over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from reconciler.connectors import JamfConnector, package_notes, policy_name
from reconciler.domain.errors import ConflictError, RequestRejectedError
from reconciler.domain.tenant import Assignment, AssignmentIntent, TargetKind
from reconciler.sandbox import Sandbox
from tests.connectors._intune import STORE
from tests.connectors._jamf import CANARY, LAB, PILOT, jamf_for, mac_app, scoped


@pytest.fixture
async def jamf() -> AsyncIterator[tuple[Sandbox, JamfConnector]]:
    async with Sandbox(devices_windows=0, devices_macos=200, seed=5) as sandbox:
        connector = jamf_for(sandbox)
        yield sandbox, connector
        await connector.aclose()


async def test_full_lifecycle(jamf: tuple[Sandbox, JamfConnector]) -> None:
    sandbox, connector = jamf
    app = mac_app("7zip-24.08")
    app_id = await connector.create_app(app)
    await connector.upload_content(app_id, app, STORE)
    assert sandbox.jamf.uploads[int(app_id)] == (STORE.root / app.package.file).read_bytes()
    await connector.set_assignments(app_id, scoped(LAB))
    await connector.set_assignments(
        app_id, [*scoped(LAB, CANARY), Assignment(TargetKind.EXCLUSION, PILOT)]
    )
    (observed,) = (await connector.snapshot([LAB, CANARY])).managed()["7zip-24.08"]
    assert observed.marker == app.marker and observed.content_ready and observed.enabled
    assert observed.assignments == tuple(
        sorted([*scoped(LAB, CANARY), Assignment(TargetKind.EXCLUSION, PILOT)])
    )
    for key, value in app.properties.items():
        assert observed.properties[key] == value, key
    (policy,) = sandbox.jamf.policies.values()
    assert policy.name == policy_name(app.display_name, app.intent)
    assert policy.packages() == [(int(app_id), "Install")]
    assert observed.extra["policyId"] == str(policy.id)

    changed = replace(app, properties={**app.properties, "rebootRequired": True})
    await connector.update_app(app_id, changed)
    (after,) = (await connector.snapshot([])).managed()["7zip-24.08"]
    assert after.properties["rebootRequired"] is True
    assert after.assignments == observed.assignments  # an update leaves the scope alone

    # uninstall targets get their own policy with the Uninstall action; gone when unused
    await connector.set_assignments(
        app_id, [*scoped(LAB), *scoped(PILOT, intent=AssignmentIntent.UNINSTALL)]
    )
    actions = sorted(a for p in sandbox.jamf.policies.values() for _, a in p.packages())
    assert actions == ["Install", "Uninstall"]
    (both,) = (await connector.snapshot([])).managed()["7zip-24.08"]
    assert {a.describe() for a in both.assignments} == {"required→101", "uninstall→103"}
    await connector.set_assignments(app_id, scoped(LAB))
    assert len(sandbox.jamf.policies) == 1

    await connector.delete_app(app_id)
    await connector.delete_app(app_id)  # already gone: still fine
    assert sandbox.jamf.packages == {} and sandbox.jamf.policies == {}
    assert (await connector.snapshot([])).apps == ()


async def test_create_is_idempotent_and_never_takes_over(
    jamf: tuple[Sandbox, JamfConnector],
) -> None:
    sandbox, connector = jamf
    app = mac_app("vlc-3.0.21")
    first = await connector.create_app(app)
    assert await connector.create_app(app) == first  # found by RSQL packageName filter
    assert len(sandbox.jamf.packages) == 1 and len(sandbox.jamf.policies) == 1

    # a package of the same name made by hand is someone else's
    other = mac_app("firefox-132.0.2")
    payload = connector.package_payload(other) | {"notes": "uploaded by hand"}
    await connector.jamf.request("POST", "/api/v1/packages", json=payload)
    with pytest.raises(ConflictError):
        await connector.create_app(other)
    snapshot = await connector.snapshot([])
    assert [a.display_name for a in snapshot.unmanaged()] == [payload["packageName"]]
    with pytest.raises(ConflictError):  # never edited or deleted without the marker
        await connector.delete_app(snapshot.unmanaged()[0].id)
    assert len(sandbox.jamf.packages) == 2


async def test_a_crash_between_package_and_policy_is_repaired(
    jamf: tuple[Sandbox, JamfConnector],
) -> None:
    sandbox, connector = jamf
    app = mac_app("slack-4.41.105")
    # the package was created, then the process died before the policy
    created = await connector.jamf.request(
        "POST", "/api/v1/packages", json=connector.package_payload(app)
    )
    fresh = jamf_for(sandbox)
    (found,) = (await fresh.snapshot([])).managed()["slack-4.41.105"]
    assert found.extra["policyId"] is None and "policyEnabled" not in found.properties
    assert await fresh.create_app(app) == created.json()["id"]  # no second package
    (repaired,) = (await fresh.snapshot([])).managed()["slack-4.41.105"]
    assert repaired.extra["policyId"] is not None and repaired.properties["policyEnabled"]
    assert len(sandbox.jamf.packages) == 1 and len(sandbox.jamf.policies) == 1
    await fresh.aclose()


async def test_snapshot_pages_packages_and_inventory() -> None:
    async with Sandbox(devices_windows=0, devices_macos=200, seed=2) as sandbox:
        connector = jamf_for(sandbox, page_size=5, inventory_page_size=20)
        app = mac_app("zoom-6.2.10")
        ids = []
        for n in range(13):
            variant = replace(
                app,
                intent=f"zoom-{n:02d}",
                properties={**app.properties, "packageName": f"Zoom {n:02d}"},
            )
            ids.append(await connector.create_app(variant))
            await connector.set_assignments(ids[-1], scoped(LAB))
        sandbox.reset_counters()
        snapshot = await connector.snapshot([LAB])
        assert sorted(snapshot.managed()) == [f"zoom-{n:02d}" for n in range(13)]
        requests = sandbox.counters()["requests"]
        assert requests["GET /api/v1/packages"] == 3  # 13 packages, 5 a page
        macs = sum(1 for d in sandbox.devices if d.platform == "macos")
        assert requests["GET /api/v3/computers-inventory"] == -(-macs // 20) >= 3
        assert requests["GET /JSSResource/policies/id/{id}"] == 13
        lab_macs = sum(1 for d in sandbox.devices if d.platform == "macos" and d.ring == "lab")
        for (observed,) in snapshot.managed().values():
            assert observed.install[LAB].pending == lab_macs  # nobody checked in yet
        await connector.aclose()


async def test_install_evidence_per_ring_group_evolves_with_the_fleet() -> None:
    async with Sandbox(devices_windows=0, devices_macos=800, seed=7) as sandbox:
        connector = jamf_for(sandbox)
        good, bad = mac_app("7zip-24.08"), mac_app("firefox-132.0.2")
        sandbox.set_failure_rate(bad.intent, 0.08)  # a bad build
        ids = {}
        for app in (good, bad):
            ids[app.intent] = await connector.create_app(app)
            await connector.upload_content(ids[app.intent], app, STORE)
            await connector.set_assignments(ids[app.intent], scoped(LAB, CANARY, PILOT))
        macs = [d for d in sandbox.devices if d.platform == "macos"]
        ring_size = {
            g: sum(1 for d in macs if d.ring == r)
            for g, r in ((LAB, "lab"), (CANARY, "canary"), (PILOT, "pilot"))
        }
        second = timedelta(seconds=1)
        sandbox.advance(8)  # every online Mac checks in once; the others may
        checked_in = {
            g: sum(1 for d in macs if d.ring == r and d.phase_hours <= 8)
            for g, r in ((LAB, "lab"), (CANARY, "canary"), (PILOT, "pilot"))
        }
        snapshot = await connector.snapshot([LAB, CANARY, PILOT])
        (zip_app,) = snapshot.managed()[good.intent]
        (fox,) = snapshot.managed()[bad.intent]
        for group, size in ring_size.items():
            assert 0 < checked_in[group] < size
            assert zip_app.install[group].reporting == checked_in[group]
            assert fox.install[group].reporting + fox.install[group].pending == size
            devices = zip_app.devices[group]
            assert len(devices) == size
            installed = [d for d in devices if d.state == "installed"]
            assert len(installed) == checked_in[group]
            # installed at the check-in that ran the policy, which is the last contact
            assert all(
                d.reached_at and d.last_check_in and abs(d.reached_at - d.last_check_in) < second
                for d in installed
            )
        total = zip_app.install[LAB] + zip_app.install[CANARY] + zip_app.install[PILOT]
        assert total.success_rate is not None and total.success_rate > 0.97
        bad_total = fox.install[LAB] + fox.install[CANARY] + fox.install[PILOT]
        assert bad_total.failed > 0  # failures come from the policy logs
        assert bad_total.success_rate is not None and 0.85 < bad_total.success_rate < 0.97

        async with httpx.AsyncClient(base_url=sandbox.admin_url) as admin:
            policy = zip_app.extra["policyId"]
            assert (
                await admin.post("/drift/disable-policy", json={"policyId": int(policy)})
            ).status_code == 200
        (disabled,) = (await connector.snapshot([])).managed()[good.intent]
        assert disabled.properties["policyEnabled"] is False and not disabled.enabled
        await connector.update_app(ids[good.intent], good)  # correcting the drift
        (fixed,) = (await connector.snapshot([])).managed()[good.intent]
        assert fixed.properties["policyEnabled"] is True
        await connector.aclose()


async def test_static_groups_and_members(jamf: tuple[Sandbox, JamfConnector]) -> None:
    sandbox, connector = jamf
    lab = await connector.ring_group_members(LAB)
    assert lab and {int(c) for c in lab} == set(sandbox.jamf.groups[101].members)
    group = await connector.create_static_group("EUCORA test ring", lab[:2])
    with pytest.raises(ConflictError, match="Duplicate name"):
        await connector.create_static_group("EUCORA test ring")
    await connector.change_group_members(group, add=[lab[2]], remove=[lab[0]])
    assert await connector.ring_group_members(group) == [lab[1], lab[2]]
    with pytest.raises(RequestRejectedError, match="Unable to match computer"):
        await connector.change_group_members(group, add=["99999"])
    assert any(g["name"] == "EUCORA test ring" for g in await connector.list_groups())
    await connector.delete_group(group)
    await connector.delete_group(group)
    assert int(group) not in sandbox.jamf.groups


async def test_assignments_without_a_jamf_meaning_are_refused(
    jamf: tuple[Sandbox, JamfConnector],
) -> None:
    sandbox, connector = jamf
    app_id = await connector.create_app(mac_app("7zip-24.08"))
    writes = sandbox.counters()["writes"]
    for wrong in (
        [Assignment(TargetKind.GROUP, LAB, AssignmentIntent.AVAILABLE)],
        [Assignment(TargetKind.ALL_USERS, None)],
        [Assignment(TargetKind.GROUP, "not-a-number")],
    ):
        with pytest.raises(RequestRejectedError):
            await connector.set_assignments(app_id, wrong)
    assert sandbox.counters()["writes"] == writes  # refused before any write
    await connector.set_assignments(app_id, [Assignment(TargetKind.ALL_DEVICES, None)])
    (observed,) = (await connector.snapshot([])).managed()["7zip-24.08"]
    assert observed.assignments == (Assignment(TargetKind.ALL_DEVICES, None),)


async def test_user_token_and_notes_format() -> None:
    async with Sandbox(devices_windows=0, devices_macos=10) as sandbox:
        connector = jamf_for(sandbox, oauth=False)  # Basic credentials → /api/v1/auth/token
        app = mac_app("globalprotect-6.3.2")
        app_id = await connector.create_app(app)
        notes = sandbox.jamf.packages[int(app_id)]["notes"]
        assert notes == package_notes(app)
        assert notes.splitlines()[0] == str(app.marker)
        assert "POST /api/v1/auth/token" in sandbox.counters()["requests"]
        await connector.aclose()
