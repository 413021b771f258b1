"""Contract fixture for ``intune``: Windows apps as Graph ``win32LobApp`` in one Entra tenant.

Also the place the Intune wire tests get their connector from (:func:`connector_for`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import httpx

from reconciler.connectors import (
    CircuitBreaker,
    ClientCredentials,
    IntuneConnector,
    RetryPolicy,
    ServiceClient,
    TokenSource,
    new_http_client,
)
from reconciler.connectors.graph import GraphAppConnector
from reconciler.connectors.registry import desired_apps
from reconciler.domain.evaluation.render import detection_scripts
from reconciler.domain.ports import TenantConnector
from reconciler.domain.tenant import Assignment, DesiredApp, Platform
from reconciler.sandbox import Sandbox
from tests.conftest import EXAMPLE_REPO
from tests.connectors.contract.provider import REPO, ContractProvider, no_wait, targets

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
APPS = "/v1.0/deviceAppManagement/mobileApps"
LAB = "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01"
CANARY = "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b02"
PILOT = "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b03"


def connector_for(
    sandbox: Sandbox,
    *,
    attempts: int = 10,
    breaker: CircuitBreaker | None = None,
    page_size: int = 5,
    report_page: int = 1000,
    directory_page: int = 999,
    timeout: float = 30.0,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> IntuneConnector:
    http = new_http_client(max_connections=10, timeout=timeout, transport=transport)
    graph = ServiceClient(
        base_url=sandbox.graph_v1_url,
        service="graph",
        credentials=ClientCredentials(
            http, [sandbox.token_url], sandbox.client_id, sandbox.client_secret, scope=GRAPH_SCOPE
        ),
        client=http,
        retry=RetryPolicy(attempts=attempts, initial=0.001, maximum=0.01, settle=0.5),
        breaker=breaker or CircuitBreaker("graph", failure_threshold=1000),
        sleep=sleep or no_wait,
    )
    return IntuneConnector(
        graph,
        page_size=page_size,
        report_page=report_page,
        directory_page=directory_page,
        poll_interval=0,
    )


def windows_app(intent: str) -> DesiredApp:
    document = REPO.intents[intent]
    scripts = {path: (EXAMPLE_REPO / path).read_bytes() for path in detection_scripts(document)}
    return next(a for a in desired_apps(document, scripts) if a.platform is Platform.WINDOWS)


def required(*groups: str) -> list[Assignment]:
    return targets(*groups)


class GraphAppsProvider(ContractProvider):
    """What the Intune-family providers' fixtures share: hand-made apps are created through
    the same Graph endpoint, the sandbox's Graph holds the objects, one Entra token source."""

    #: the notes a hand-made app carries instead of the ownership marker
    unmanaged_note = "packaged by the desktop team"

    async def make_unmanaged(self, connector: TenantConnector, app: DesiredApp) -> str:
        assert isinstance(connector, GraphAppConnector)
        made = await connector.graph.request(
            "POST",
            "/deviceAppManagement/mobileApps",
            json={**connector.payload(app), "notes": self.unmanaged_note},
        )
        return str(made.json()["id"])

    def stored(self, sandbox: Sandbox, app_id: str) -> Any:
        return dict(sandbox.graph.apps[app_id].data)

    def credentials(self, connector: TenantConnector) -> TokenSource:
        assert isinstance(connector, GraphAppConnector)
        assert connector.graph.credentials is not None
        return connector.graph.credentials

    def device_key(self, device: Any) -> str:
        return str(device.managed_id)


class IntuneProvider(GraphAppsProvider):
    name = "intune"
    device_platform = "windows"
    rings = (LAB, CANARY, PILOT)
    intents = ("7zip-24.08", "notepadplusplus-8.7.1", "sap-gui-8.00")
    good_and_bad = ("7zip-24.08", "chrome-131.0.6778")
    small_page = 5
    small_pages = MappingProxyType({"page_size": 5, "report_page": 7, "directory_page": 10})
    listing = f"GET {APPS}"
    creating = f"POST {APPS}"
    failing_pattern = "/v1.0/*"
    missing_id = "00000000-0000-4000-8000-000000000000"

    def open(self, sandbox: Sandbox, **options: Any) -> TenantConnector:
        return connector_for(sandbox, **options)

    def settings(self, sandbox: Sandbox) -> dict[str, str]:
        return {
            "INTUNE_TENANT_ID": sandbox.tenant_id,
            "INTUNE_CLIENT_ID": sandbox.client_id,
            "INTUNE_CLIENT_SECRET": sandbox.client_secret,
            "INTUNE_GRAPH_URL": sandbox.graph_v1_url,
            "INTUNE_AUTHORITY_URL": sandbox.authority_url,
        }

    def desired(self, intent: str) -> DesiredApp:
        return windows_app(intent)

    def edited(self, app: DesiredApp) -> tuple[DesiredApp, str]:
        key = "installCommandLine"
        return replace(app, properties={**app.properties, key: "setup.exe /S"}), key

    def objects(self, sandbox: Sandbox) -> Mapping[str, int]:
        return {"win32LobApp": len(sandbox.graph.apps)}
