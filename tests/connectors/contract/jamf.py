"""Contract fixture for ``jamf``: macOS apps as a Jamf Pro package plus its Classic policy.

Also the place the Jamf wire tests get their connector from (:func:`jamf_for`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import httpx

from reconciler.connectors import (
    CircuitBreaker,
    JamfConnector,
    JamfSettings,
    RetryPolicy,
    TokenSource,
    jamf_connector,
)
from reconciler.connectors.registry import desired_apps
from reconciler.domain.ports import TenantConnector
from reconciler.domain.tenant import Assignment, AssignmentIntent, DesiredApp, Platform
from reconciler.sandbox import Sandbox
from tests.connectors.contract.provider import REPO, ContractProvider, no_wait, targets

LAB, CANARY, PILOT = "101", "102", "103"
PACKAGES = "/api/v1/packages"


def jamf_for(
    sandbox: Sandbox,
    *,
    attempts: int = 10,
    breaker: CircuitBreaker | None = None,
    page_size: int = 100,
    inventory_page_size: int = 500,
    oauth: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
) -> JamfConnector:
    settings = (
        JamfSettings(
            url=sandbox.jamf_url,
            client_id=sandbox.jamf_client_id,
            client_secret=sandbox.jamf_client_secret,
        )
        if oauth
        else JamfSettings(
            url=sandbox.jamf_url, username=sandbox.jamf_username, password=sandbox.jamf_password
        )
    )
    return jamf_connector(
        settings,
        retry=RetryPolicy(attempts=attempts, initial=0.001, maximum=0.01),
        breaker=breaker or CircuitBreaker("jamf", failure_threshold=1000),
        sleep=no_wait,
        page_size=page_size,
        inventory_page_size=inventory_page_size,
        transport=transport,
    )


def mac_app(intent: str) -> DesiredApp:
    return next(a for a in desired_apps(REPO.intents[intent]) if a.platform is Platform.MACOS)


def scoped(*groups: str, intent: AssignmentIntent = AssignmentIntent.REQUIRED) -> list[Assignment]:
    return targets(*groups, intent=intent)


class JamfProvider(ContractProvider):
    name = "jamf"
    device_platform = "macos"
    rings = (LAB, CANARY, PILOT)
    intents = ("7zip-24.08", "vlc-3.0.21", "zoom-6.2.10")
    good_and_bad = ("7zip-24.08", "firefox-132.0.2")
    small_page = 5
    small_pages = MappingProxyType({"page_size": 5, "inventory_page_size": 20})
    listing = f"GET {PACKAGES}"
    creating = f"POST {PACKAGES}"
    failing_pattern = PACKAGES
    missing_id = "99999"

    def open(self, sandbox: Sandbox, **options: Any) -> TenantConnector:
        return jamf_for(sandbox, **options)

    def settings(self, sandbox: Sandbox) -> dict[str, str]:
        return {
            "JAMF_URL": sandbox.jamf_url,
            "JAMF_CLIENT_ID": sandbox.jamf_client_id,
            "JAMF_CLIENT_SECRET": sandbox.jamf_client_secret,
        }

    def desired(self, intent: str) -> DesiredApp:
        return mac_app(intent)

    def variant(self, app: DesiredApp, n: int) -> DesiredApp:
        # Jamf Pro package names are unique: a look-alike needs its own
        name = f"{app.properties.get('packageName') or app.display_name} {n:02d}"
        return replace(
            app, intent=f"{app.intent}-{n:02d}", properties={**app.properties, "packageName": name}
        )

    def edited(self, app: DesiredApp) -> tuple[DesiredApp, str]:
        key = "rebootRequired"
        return replace(app, properties={**app.properties, key: not app.properties.get(key)}), key

    async def make_unmanaged(self, connector: TenantConnector, app: DesiredApp) -> str:
        assert isinstance(connector, JamfConnector)
        payload = connector.package_payload(app) | {"notes": "uploaded by hand"}
        made = await connector.jamf.request("POST", PACKAGES, json=payload)
        return str(made.json()["id"])

    def stored(self, sandbox: Sandbox, app_id: str) -> Any:
        return dict(sandbox.jamf.packages[int(app_id)])

    def objects(self, sandbox: Sandbox) -> Mapping[str, int]:
        return {"package": len(sandbox.jamf.packages), "policy": len(sandbox.jamf.policies)}

    def credentials(self, connector: TenantConnector) -> TokenSource:
        assert isinstance(connector, JamfConnector)
        assert connector.jamf.credentials is not None
        return connector.jamf.credentials

    def device_key(self, device: Any) -> str:
        return str(device.jamf_id)
