"""The Jamf Pro connector against what Jamf Cloud does, as the sandbox now emulates it:
package size and hashes computed at the distribution point inventory refresh (and size
blanked by a metadata PUT), inventory on v3, short-lived API client tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from reconciler.connectors import JamfSettings, jamf_connector
from reconciler.sandbox import Sandbox
from reconciler.sandbox._wire import Reply
from tests.connectors.contract.jamf import jamf_for, mac_app
from tests.connectors.contract.provider import STORE, no_wait
from tests.sandbox.conftest import FLEET


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(devices_windows=10, devices_macos=40, seed=5, fleet=FLEET) as sb:
        yield sb


async def _ready(connector: object, package_id: str) -> bool:
    snapshot = await connector.snapshot([])  # type: ignore[attr-defined]
    return bool(next(a for a in snapshot.apps if a.id == package_id).content_ready)


async def test_content_is_ready_after_upload_and_stays_ready_after_a_metadata_put(
    sandbox: Sandbox,
) -> None:
    connector = jamf_for(sandbox)
    app = mac_app("7zip-24.08")
    package_id = await connector.create_app(app)
    assert not await _ready(connector, package_id)
    await connector.upload_content(package_id, app, STORE)
    assert sandbox.requests["POST /api/v1/cloud-distribution-point/refresh-inventory"] == 1
    assert await _ready(connector, package_id)
    await connector.update_app(package_id, app)  # Jamf Cloud blanks size on this PUT
    assert sandbox.jamf.packages[int(package_id)]["size"] is None
    assert await _ready(connector, package_id)  # hashes still say the file is there
    await connector.aclose()


async def test_an_upload_jamf_has_not_processed_yet_is_not_sent_again(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jamf Cloud may compute size and hashes a while after the refresh: the connector that
    uploaded the package does not take the empty fields for missing content."""
    connector = jamf_for(sandbox)
    app = mac_app("7zip-24.08")
    package_id = await connector.create_app(app)
    slow = sandbox.jamf.refresh_inventory
    monkeypatch.setattr(sandbox.jamf, "refresh_inventory", lambda: Reply(204))
    await connector.upload_content(package_id, app, STORE)
    assert sandbox.jamf.packages[int(package_id)]["hashValue"] is None
    assert await _ready(connector, package_id)
    fresh = jamf_for(sandbox)  # another process knows only what Jamf says
    assert not await _ready(fresh, package_id)
    slow()
    assert await _ready(fresh, package_id)
    await connector.aclose()
    await fresh.aclose()


async def test_a_size_the_client_sends_is_not_taken_as_content(sandbox: Sandbox) -> None:
    connector = jamf_for(sandbox)
    app = mac_app("7zip-24.08")
    payload = connector.package_payload(app) | {"size": "1234"}
    created = await connector.jamf.request("POST", "/api/v1/packages", json=payload)
    assert not await _ready(connector, str(created.json()["id"]))
    await connector.aclose()


async def test_inventory_comes_from_v3(sandbox: Sandbox) -> None:
    connector = jamf_for(sandbox)
    records = await connector.inventory()
    assert len(records) == 40
    assert sandbox.requests["GET /api/v3/computers-inventory"] >= 1
    assert not any("/api/v1/computers-inventory" in key for key in sandbox.requests)
    assert "plugins" not in records[0] and "fonts" not in records[0]
    await connector.aclose()


async def test_short_token_lifetimes_do_not_cost_a_token_per_call() -> None:
    async with Sandbox(
        devices_windows=5, devices_macos=5, seed=5, fleet=FLEET, jamf_token_seconds=60
    ) as sandbox:
        connector = jamf_connector(
            JamfSettings(
                url=sandbox.jamf_url,
                client_id=sandbox.jamf_client_id,
                client_secret=sandbox.jamf_client_secret,
            ),
            sleep=no_wait,
        )
        for _ in range(10):
            await connector.list_packages()
        # refreshed on a fraction of expires_in, not 60 s before it: one token, not ten
        assert sandbox.jamf_tokens_issued == 1
        await connector.aclose()
