"""Contract: a lost answer or a process that dies between writes leaves no duplicate, and
the next pass converges."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from reconciler.domain.planning.plan import property_drift
from reconciler.domain.ports import TenantConnector
from reconciler.domain.tenant import Assignment, DesiredApp
from reconciler.sandbox import Sandbox
from tests.connectors.contract.provider import STORE, ContractProvider, targets
from tests.connectors.contract.transports import CrashAfterWrites, LosingTransport, ProcessDied


async def first_pass(
    connector: TenantConnector, app: DesiredApp, want: Sequence[Assignment]
) -> str:
    """What a pass does for an app new in Git: create, upload, assign."""
    app_id = await connector.create_app(app)
    await connector.upload_content(app_id, app, STORE)
    await connector.set_assignments(app_id, want)
    return app_id


async def next_pass(
    connector: TenantConnector, app: DesiredApp, want: Sequence[Assignment]
) -> list[str]:
    """What the plan step asks of a connector for one app after a snapshot (see
    ``reconciler.domain.planning.plan``): create when nothing carries the marker, else update what
    drifted, upload content not committed and set assignments that differ. Never more
    than one managed object may be found: a duplicate means an earlier write was
    repeated."""
    (*found,) = (await connector.snapshot([])).managed().get(app.intent, [])
    assert len(found) <= 1, f"duplicates after a crash: {[a.id for a in found]}"
    if not found:
        await first_pass(connector, app, want)
        return ["create", "upload", "assign"]
    (observed,) = found
    done = []
    if observed.marker != app.marker or property_drift(app, observed):
        await connector.update_app(observed.id, app)
        done.append("update")
    if not observed.content_ready:
        await connector.upload_content(observed.id, app, STORE)
        done.append("upload")
    if set(observed.assignments) != set(want):
        await connector.set_assignments(observed.id, want)
        done.append("assign")
    return done


async def test_a_crash_after_any_write_converges_on_the_next_pass_without_duplicates(
    provider: ContractProvider,
) -> None:
    app = provider.desired(provider.intents[0])
    lab, canary, _ = provider.rings
    want = targets(lab, canary)
    async with Sandbox(seed=3, **provider.sandbox_options(10)) as sandbox:
        clean = CrashAfterWrites()
        connector = provider.connector(sandbox, transport=clean)
        await first_pass(connector, app, want)
        await connector.aclose()
        expected = provider.objects(sandbox)
    assert len(clean.writes) >= 3
    for after in range(1, len(clean.writes) + 1):
        async with Sandbox(seed=3, **provider.sandbox_options(10)) as sandbox:
            crashing = CrashAfterWrites(after)
            dying = provider.connector(sandbox, transport=crashing)
            with pytest.raises(ProcessDied):
                await first_pass(dying, app, want)
            assert len(crashing.writes) == after
            await dying.aclose()

            restarted = provider.connector(sandbox)  # a new process: nothing remembered
            done = await next_pass(restarted, app, want)
            # the last write completes the pass; after any earlier one, work is left
            assert bool(done) is (after < len(clean.writes)), (after, done, clean.writes)
            assert await next_pass(restarted, app, want) == []  # converged in one pass
            (observed,) = (await restarted.snapshot([])).managed()[app.intent]
            assert observed.marker == app.marker and observed.content_ready
            assert observed.assignments == tuple(sorted(want))
            assert property_drift(app, observed) == []
            assert provider.objects(sandbox) == expected, f"crash after {clean.writes[after - 1]}"
            await restarted.aclose()


async def test_a_create_whose_answer_was_lost_is_not_repeated(provider: ContractProvider) -> None:
    async with Sandbox(**provider.sandbox_options(10)) as sandbox:
        transport = LosingTransport(provider.creating)
        connector = provider.connector(sandbox, transport=transport)
        app = provider.desired(provider.intents[0])
        app_id = await connector.create_app(app)  # the service created it; the answer was lost
        assert transport.lost == 1
        assert sandbox.counters()["requests"][provider.creating] == 1
        (found,) = (await connector.snapshot([])).managed()[app.intent]
        assert found.id == app_id
        assert set(provider.objects(sandbox).values()) == {1}  # one of each, not two
        await connector.aclose()
