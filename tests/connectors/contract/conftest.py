"""The providers the contract suite runs for, and the fixtures that open them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from reconciler.sandbox import Sandbox
from tests.connectors.contract.intune import IntuneProvider
from tests.connectors.contract.intune_macos import IntuneMacosProvider
from tests.connectors.contract.jamf import JamfProvider
from tests.connectors.contract.provider import ContractProvider, Tenant

#: every provider's fixture; a new MDM adds its own here
PROVIDERS: tuple[ContractProvider, ...] = (IntuneProvider(), JamfProvider(), IntuneMacosProvider())


@pytest.fixture(params=PROVIDERS, ids=[p.name for p in PROVIDERS])
def provider(request: pytest.FixtureRequest) -> ContractProvider:
    chosen: ContractProvider = request.param
    return chosen


@pytest.fixture
async def tenant(provider: ContractProvider) -> AsyncIterator[Tenant]:
    async with Sandbox(seed=5, **provider.sandbox_options(60)) as sandbox:
        connector = provider.connector(sandbox)
        yield Tenant(provider, sandbox, connector)
        await connector.aclose()
