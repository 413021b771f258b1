"""What only Jamf Pro's wire shows: one package plus install and uninstall policies, names
that must be unique, request counts per API, evidence from policy logs, static groups,
user tokens. The behaviour every connector shares is in ``tests/connectors/contract``."""

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
from tests.connectors.contract.jamf import CANARY, LAB, PACKAGES, PILOT, jamf_for, mac_app, scoped
from tests.connectors.contract.provider import STORE


@pytest.fixture
async def jamf() -> AsyncIterator[tuple[Sandbox, JamfConnector]]:
    async with Sandbox(devices_windows=0, devices_macos=200, seed=5) as sandbox:
        connector = jamf_for(sandbox)
        yield sandbox, connector
        await connector.aclose()


async def test_an_app_is_a_package_with_an_install_policy_and_an_uninstall_policy(
    jamf: tuple[Sandbox, JamfConnector],
) -> None:
    sandbox, connector = jamf
    app = mac_app("7zip-24.08")
    app_id = await connector.create_app(app)
    await connector.upload_content(app_id, app, STORE)
    assert sandbox.jamf.uploads[int(app_id)] == (STORE.root / app.package.file).read_bytes()
    await connector.set_assignments(app_id, scoped(LAB, CANARY))
    (observed,) = (await connector.snapshot([])).managed()["7zip-24.08"]
    (policy,) = sandbox.jamf.policies.values()
    assert policy.name == policy_name(app.display_name, app.intent)
    assert policy.packages() == [(int(app_id), "Install")]
    assert observed.extra["policyId"] == str(policy.id)

    # uninstall targets get their own policy with the Uninstall action; gone when unused
    await connector.set_assignments(
        app_id, [*scoped(LAB), *scoped(PILOT, intent=AssignmentIntent.UNINSTALL)]
    )
    actions = sorted(a for p in sandbox.jamf.policies.values() for _, a in p.packages())
    assert actions == ["Install", "Uninstall"]
    await connector.set_assignments(app_id, scoped(LAB))
    assert len(sandbox.jamf.policies) == 1
    await connector.delete_app(app_id)
    assert sandbox.jamf.packages == {} and sandbox.jamf.policies == {}


async def test_create_is_idempotent_and_never_takes_over_a_name(
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
    await connector.jamf.request("POST", PACKAGES, json=payload)
    with pytest.raises(ConflictError):
        await connector.create_app(other)
    assert len(sandbox.jamf.packages) == 2
    unmanaged = (await connector.snapshot([])).unmanaged()
    assert [a.display_name for a in unmanaged] == [payload["packageName"]]


async def test_a_package_left_without_its_policy_is_repaired_by_create(
    jamf: tuple[Sandbox, JamfConnector],
) -> None:
    sandbox, connector = jamf
    app = mac_app("slack-4.41.105")
    # the package was created, then the process died before the policy
    created = await connector.jamf.request("POST", PACKAGES, json=connector.package_payload(app))
    fresh = jamf_for(sandbox)
    (found,) = (await fresh.snapshot([])).managed()["slack-4.41.105"]
    assert found.extra["policyId"] is None and "policyEnabled" not in found.properties
    assert await fresh.create_app(app) == created.json()["id"]  # no second package
    (repaired,) = (await fresh.snapshot([])).managed()["slack-4.41.105"]
    assert repaired.extra["policyId"] is not None and repaired.properties["policyEnabled"]
    assert len(sandbox.jamf.packages) == 1 and len(sandbox.jamf.policies) == 1
    await fresh.aclose()


async def test_a_snapshot_pages_packages_and_inventory_and_reads_each_policy_once() -> None:
    async with Sandbox(devices_windows=0, devices_macos=200, seed=2) as sandbox:
        connector = jamf_for(sandbox, page_size=5, inventory_page_size=20)
        app = mac_app("zoom-6.2.10")
        for n in range(13):
            variant = replace(
                app,
                intent=f"zoom-{n:02d}",
                properties={**app.properties, "packageName": f"Zoom {n:02d}"},
            )
            await connector.set_assignments(await connector.create_app(variant), scoped(LAB))
        sandbox.reset_counters()
        snapshot = await connector.snapshot([LAB])
        assert len(snapshot.managed()) == 13
        requests = sandbox.counters()["requests"]
        assert requests[f"GET {PACKAGES}"] == 3  # 13 packages, 5 a page
        macs = sum(1 for d in sandbox.devices if d.platform == "macos")
        assert requests["GET /api/v3/computers-inventory"] == -(-macs // 20) >= 3
        assert requests["GET /JSSResource/policies/id/{id}"] == 13
        await connector.aclose()


async def test_installs_happen_at_the_check_in_and_a_disabled_policy_is_corrected() -> None:
    async with Sandbox(devices_windows=0, devices_macos=200, seed=7) as sandbox:
        connector = jamf_for(sandbox)
        app = mac_app("7zip-24.08")
        app_id = await connector.create_app(app)
        await connector.upload_content(app_id, app, STORE)
        await connector.set_assignments(app_id, scoped(LAB, CANARY, PILOT))
        sandbox.advance(8)
        (observed,) = (await connector.snapshot([LAB, CANARY, PILOT])).managed()[app.intent]
        second = timedelta(seconds=1)
        installed = [
            d for group in (LAB, CANARY, PILOT) for d in observed.devices[group]
            if d.state == "installed"
        ]  # fmt: skip
        assert installed
        # installed at the check-in that ran the policy, which is the last contact
        assert all(
            d.reached_at and d.last_check_in and abs(d.reached_at - d.last_check_in) < second
            for d in installed
        )
        async with httpx.AsyncClient(base_url=sandbox.admin_url) as admin:
            policy = int(observed.extra["policyId"])
            disabled = await admin.post("/drift/disable-policy", json={"policyId": policy})
            assert disabled.status_code == 200
        (off,) = (await connector.snapshot([])).managed()[app.intent]
        assert off.properties["policyEnabled"] is False and not off.enabled
        await connector.update_app(app_id, app)  # correcting the drift
        (fixed,) = (await connector.snapshot([])).managed()[app.intent]
        assert fixed.properties["policyEnabled"] is True and fixed.enabled
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
