"""Contract: an app's life in the tenant, the ownership marker, paging, install evidence."""

from __future__ import annotations

import pytest

from reconciler.domain.errors import ConflictError
from reconciler.domain.plan import property_drift
from reconciler.domain.tenant import Assignment, AssignmentIntent, TargetKind
from reconciler.sandbox import Sandbox
from tests.connectors.contract.provider import STORE, ContractProvider, Tenant, targets


async def test_create_upload_assign_reassign_update_delete(tenant: Tenant) -> None:
    provider, sandbox, connector = tenant.provider, tenant.sandbox, tenant.connector
    lab, canary, pilot = provider.rings
    app = provider.desired(provider.intents[0])
    app_id = await connector.create_app(app)
    (created,) = (await connector.snapshot([])).managed()[app.intent]
    assert created.id == app_id and created.marker == app.marker and not created.content_ready

    await connector.upload_content(app_id, app, STORE)
    await connector.set_assignments(app_id, targets(lab))
    wanted = [*targets(lab, canary), Assignment(TargetKind.EXCLUSION, pilot)]
    await connector.set_assignments(app_id, wanted)  # the complete list each time
    snapshot = await connector.snapshot([lab, canary])
    assert snapshot.platform is app.platform is connector.platform
    (observed,) = snapshot.managed()[app.intent]
    assert observed.id == app_id and observed.platform is app.platform
    assert observed.marker == app.marker and observed.content_ready and observed.enabled
    assert observed.assignments == tuple(sorted(wanted))
    assert property_drift(app, observed) == []  # the planner sees what it wrote
    for key, value in app.properties.items():
        assert observed.properties[key] == value, key
    restarted = provider.connector(sandbox)  # what it sees is in the tenant, not in memory
    assert (await restarted.snapshot([lab, canary])).managed()[app.intent] == [observed]
    await restarted.aclose()

    changed, key = provider.edited(app)
    await connector.update_app(app_id, changed)
    (after,) = (await connector.snapshot([])).managed()[app.intent]
    assert after.properties[key] == changed.properties[key] != app.properties.get(key)
    assert property_drift(changed, after) == []
    assert after.assignments == observed.assignments  # an update leaves assignments alone
    assert after.content_ready and after.id == app_id

    await connector.set_assignments(
        app_id, [*targets(lab), *targets(pilot, intent=AssignmentIntent.UNINSTALL)]
    )
    (both,) = (await connector.snapshot([])).managed()[app.intent]
    assert {a.describe() for a in both.assignments} == {f"required→{lab}", f"uninstall→{pilot}"}
    await connector.set_assignments(app_id, [])
    (unassigned,) = (await connector.snapshot([])).managed()[app.intent]
    assert unassigned.assignments == ()

    await connector.delete_app(app_id)
    await connector.delete_app(app_id)  # already gone: still fine (a retried delete)
    assert (await connector.snapshot([])).apps == ()
    assert set(provider.objects(sandbox).values()) == {0}


async def test_an_object_without_the_marker_is_seen_but_never_edited_or_deleted(
    tenant: Tenant,
) -> None:
    provider, sandbox, connector = tenant.provider, tenant.sandbox, tenant.connector
    app = provider.desired(provider.intents[1])
    other = await provider.make_unmanaged(connector, app)
    before = provider.stored(sandbox, other)
    snapshot = await connector.snapshot(list(provider.rings))
    (seen,) = snapshot.unmanaged()
    assert seen.id == other and seen.marker is None and not seen.managed
    assert snapshot.managed() == {}
    for write in (
        connector.update_app(other, app),
        connector.set_assignments(other, targets(provider.rings[0])),
        connector.set_assignments(other, []),
        connector.delete_app(other),
    ):
        with pytest.raises(ConflictError, match="no ownership marker"):
            await write
    assert provider.stored(sandbox, other) == before
    await connector.delete_app(provider.missing_id)  # not there: nothing to do


async def test_a_snapshot_pages_through_every_app(provider: ContractProvider) -> None:
    async with Sandbox(seed=2, **provider.sandbox_options(40)) as sandbox:
        connector = provider.connector(sandbox, small_pages=True)
        app = provider.desired(provider.intents[1])
        count = 3 * provider.small_page - 2
        variants = [provider.variant(app, n) for n in range(count)]
        for variant in variants:
            await connector.create_app(variant)
        await provider.make_unmanaged(connector, app)
        sandbox.reset_counters()
        snapshot = await connector.snapshot([])
        managed = snapshot.managed()
        assert sorted(managed) == sorted(v.intent for v in variants)
        assert all(len(apps) == 1 for apps in managed.values())
        assert len(snapshot.unmanaged()) == 1
        pages = -(-(count + 1) // provider.small_page)
        assert sandbox.counters()["requests"][provider.listing] == pages
        assert snapshot.requests >= pages
        await connector.aclose()


async def test_install_evidence_per_ring_group_follows_the_fleet(
    provider: ContractProvider,
) -> None:
    async with Sandbox(seed=7, **provider.sandbox_options(600)) as sandbox:
        connector = provider.connector(sandbox, small_pages=True)
        rings = list(provider.rings)
        good, bad = (provider.desired(name) for name in provider.good_and_bad)
        sandbox.set_failure_rate(bad.intent, 0.08)  # a bad build
        for app in (good, bad):
            app_id = await connector.create_app(app)
            await connector.upload_content(app_id, app, STORE)
            await connector.set_assignments(app_id, targets(*rings))
        by_id = provider.device_ids(sandbox)
        ring_of = provider.ring_names()
        size = {g: sum(1 for d in by_id.values() if d.ring == ring_of[g]) for g in rings}

        (fresh,) = (await connector.snapshot(rings)).managed()[good.intent]
        for group in rings:
            assert fresh.install[group].pending == size[group] > 0
            assert fresh.install[group].reporting == 0  # nobody checked in yet

        sandbox.advance(8)  # online devices check in once; the others may not
        checked_in = {
            g: sum(1 for d in by_id.values() if d.ring == ring_of[g] and d.phase_hours <= 8)
            for g in rings
        }
        snapshot = await connector.snapshot(rings)
        (good_app,) = snapshot.managed()[good.intent]
        (bad_app,) = snapshot.managed()[bad.intent]
        for group in rings:
            assert 0 < checked_in[group] < size[group]
            assert good_app.install[group].reporting == checked_in[group]
            assert bad_app.install[group].reporting + bad_app.install[group].pending == size[group]
            devices = good_app.devices[group]
            assert len(devices) == size[group] == len({d.device for d in devices})
            for device in devices:
                simulated = by_id[device.device]
                assert simulated.ring == ring_of[group]
                assert device.last_check_in == simulated.last_checkin.replace(microsecond=0)
                if device.state == "pending":
                    assert simulated.phase_hours > 8 and device.reached_at is None
                else:
                    assert device.state in {"installed", "failed"}, device.state
                    assert simulated.phase_hours <= 8
                if device.state == "installed":
                    assert device.reached_at is not None and device.reached_at <= sandbox.clock
        good_total = sum((good_app.install[g] for g in rings[1:]), good_app.install[rings[0]])
        bad_total = sum((bad_app.install[g] for g in rings[1:]), bad_app.install[rings[0]])
        assert good_total.success_rate is not None and good_total.success_rate > 0.97
        assert bad_total.failed > 0
        assert bad_total.success_rate is not None and 0.85 < bad_total.success_rate < 0.97
        await connector.aclose()
