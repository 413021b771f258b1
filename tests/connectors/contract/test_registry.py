"""Contract: the provider is in the registry, and its entry builds a connector that works."""

from __future__ import annotations

from reconciler.connectors import RetryPolicy
from reconciler.connectors.registry import provider as registered
from reconciler.domain.ports import TenantConnector
from reconciler.domain.tenant import Platform
from reconciler.sandbox import Sandbox
from tests.connectors.contract.provider import STORE, ContractProvider, no_wait, targets


async def test_the_registry_entry_builds_a_connector_for_the_sandbox(
    provider: ContractProvider,
) -> None:
    entry = registered(provider.name)
    assert entry.name == provider.name
    assert Platform(provider.device_platform) in entry.platforms
    async with Sandbox(**provider.sandbox_options(10)) as sandbox:
        keys = provider.settings(sandbox)
        assert all(key.startswith(entry.secret_prefix) for key in keys)
        settings = entry.settings_from_mapping(keys)
        connector = entry.connect(
            settings, retry=RetryPolicy(attempts=3, initial=0.001, maximum=0.01), sleep=no_wait
        )
        assert isinstance(connector, TenantConnector)
        assert connector.platform in entry.platforms
        assert getattr(connector, "provider", None) == provider.name  # what the engine keys by
        # what the registry's connector writes, the fixture's connector reads, and back
        app = provider.desired(provider.intents[0])
        app_id = await connector.create_app(app)
        await connector.upload_content(app_id, app, STORE)
        fixture = provider.connector(sandbox)
        (seen,) = (await fixture.snapshot([])).managed()[app.intent]
        assert seen.id == app_id and seen.marker == app.marker
        await fixture.set_assignments(app_id, targets(provider.rings[0]))
        (back,) = (await connector.snapshot([])).managed()[app.intent]
        assert back.assignments == tuple(targets(provider.rings[0]))
        for opened in (connector, fixture):
            await opened.aclose()
