"""Contract: every fault kind the sandbox injects, the breaker, one token refresh per 401."""

from __future__ import annotations

import pytest

from reconciler.connectors import CircuitBreaker, ClientCredentials
from reconciler.domain.errors import CircuitOpenError, TransientTenantError
from reconciler.sandbox import Sandbox
from reconciler.sandbox._faults import FAULT_KINDS
from tests.connectors.contract.provider import STORE, ContractProvider, targets

FAULTS_20 = "429@*:0.05,503@*:0.05,500@*:0.03,reset@*:0.03,token-expiry@*:0.02,slow=50ms@*:0.02"
#: the mixed spec, then every kind alone on every path. A token rejected again right after
#: its refresh is an authentication failure by design (one refresh per 401), so token
#: expiry runs at a rate at which two in a row on one request do not occur in this run
SPECS = {
    "mixed-20%": FAULTS_20,
    "429": "429@*:0.2",
    "500": "500@*:0.2",
    "503": "503@*:0.2",
    "reset": "reset@*:0.2",
    "slow": "slow=20ms@*:0.2",
    "token-expiry": "token-expiry@*:0.03",
}


def test_every_fault_kind_the_sandbox_injects_is_run_alone() -> None:
    assert set(SPECS) - {"mixed-20%"} == set(FAULT_KINDS)


@pytest.mark.parametrize("spec", list(SPECS.values()), ids=list(SPECS))
async def test_a_sequence_completes_under_faults_without_duplicates(
    provider: ContractProvider, spec: str
) -> None:
    """Create, upload, assign twice and update three apps, let the fleet check in, observe."""
    async with Sandbox(
        **provider.sandbox_options(60), faults=spec, seed=11, retry_after_seconds=0
    ) as sandbox:
        connector = provider.connector(sandbox, small_pages=True)
        lab, canary, _ = provider.rings
        for name in provider.intents:
            app = provider.desired(name)
            app_id = await connector.create_app(app)
            await connector.upload_content(app_id, app, STORE)
            await connector.set_assignments(app_id, targets(lab))
            await connector.set_assignments(app_id, targets(lab, canary))
            await connector.update_app(app_id, app)
        sandbox.advance(8)
        managed = (await connector.snapshot([lab, canary])).managed()
        assert sorted(managed) == sorted(provider.intents)
        assert all(len(apps) == 1 for apps in managed.values())  # no duplicates...
        assert set(provider.objects(sandbox).values()) == {3}  # ...not even unseen ones
        ring_of = provider.ring_names()
        targeted = sum(1 for d in provider.device_ids(sandbox).values() if d.ring in
                       {ring_of[lab], ring_of[canary]})  # fmt: skip
        for (app,) in managed.values():
            assert app.content_ready and app.enabled
            assert app.assignments == tuple(sorted(targets(lab, canary)))
            counts = app.install[lab] + app.install[canary]
            assert counts.reporting + counts.pending == targeted and counts.reporting > 0
        await connector.aclose()

        counters = sandbox.counters()
        injected = counters["faultsInjected"]
        if len(sandbox.faults.rules) == 1:
            assert set(injected) == {sandbox.faults.rules[0].kind}
        assert set(injected) <= set(FAULT_KINDS)
        rate = sum(rule.rate for rule in sandbox.faults.rules)
        assert sum(injected.values()) >= rate * counters["total"] / 2  # faults really happened


async def test_the_breaker_opens_on_a_failing_tenant_and_recovers(
    provider: ContractProvider,
) -> None:
    now = [0.0]
    breaker = CircuitBreaker(
        provider.name, failure_threshold=3, reset_timeout=60, clock=lambda: now[0]
    )
    async with Sandbox(
        **provider.sandbox_options(10),
        faults=f"503@{provider.failing_pattern}:1",
        retry_after_seconds=0,
    ) as sandbox:
        connector = provider.connector(sandbox, attempts=1, breaker=breaker)
        for _ in range(3):
            with pytest.raises(TransientTenantError):
                await connector.snapshot([])
        requests = sandbox.counters()["total"]
        with pytest.raises(CircuitOpenError) as opened:
            await connector.snapshot([])
        assert opened.value.requeue_after == 60
        assert sandbox.counters()["total"] == requests  # refused without calling
        sandbox.faults.rules = ()  # the tenant recovers
        now[0] = 61
        assert (await connector.snapshot([])).apps == ()
        await connector.aclose()


async def test_a_401_triggers_exactly_one_token_refresh(provider: ContractProvider) -> None:
    async with Sandbox(**provider.sandbox_options(10)) as sandbox:
        connector = provider.connector(sandbox)
        credentials = provider.credentials(connector)
        assert isinstance(credentials, ClientCredentials)
        await connector.snapshot([])
        assert credentials.issued == 1
        before = sandbox.counters()["total"]
        sandbox.revoke_tokens()  # every issued token is now invalid
        await connector.snapshot([])
        assert credentials.issued == 2
        await connector.snapshot([])
        assert credentials.issued == 2
        snapshot_calls = (sandbox.counters()["total"] - before - 1) // 2
        # the first call after the revocation was sent twice (401, then with the new token)
        assert sandbox.counters()["total"] - before == 2 * snapshot_calls + 1 + 1
        await connector.aclose()
