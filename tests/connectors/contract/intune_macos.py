"""Contract fixture for ``intune-macos``: Macs in the Intune tenant, Graph ``macOSLobApp``
(``.pkg``) and ``macOSDmgApp`` (``.dmg``); the sandbox enrols every Mac in Intune.

Also where the Intune for macOS tests get their connector from (:func:`macos_connector`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from reconciler.connectors.intune_macos import IntuneMacosConnector, desired_app
from reconciler.domain.ports import TenantConnector
from reconciler.domain.tenant import DesiredApp
from reconciler.sandbox import Sandbox
from tests.connectors.contract.intune import (
    APPS,
    CANARY,
    LAB,
    PILOT,
    GraphAppsProvider,
    IntuneProvider,
    connector_for,
)
from tests.connectors.contract.provider import REPO

RINGS = ("lab", "canary", "pilot", "broad", "global")


def macos_connector(sandbox: Sandbox, **options: Any) -> IntuneMacosConnector:
    """The Intune for macOS connector on the sandbox's Graph, retries without sleeping."""
    windows = connector_for(sandbox, **options)
    return IntuneMacosConnector(
        windows.graph,
        page_size=windows.page_size,
        report_page=windows.report_page,
        directory_page=windows.directory_page,
        poll_interval=0,
    )


def mac_app(intent: str, **package: Any) -> DesiredApp:
    """The example intent's macOS package rendered for Intune, fields replaced as given."""
    document = REPO.intents[intent]
    assert document.macos is not None
    return desired_app(document, replace(document.macos, **package))


class IntuneMacosProvider(GraphAppsProvider):
    name = "intune-macos"
    unmanaged_note = "uploaded in the portal by the Mac team"
    device_platform = "macos"
    rings = (LAB, CANARY, PILOT)
    intents = ("7zip-24.08", "vlc-3.0.21", "zoom-6.2.10")
    good_and_bad = ("7zip-24.08", "firefox-132.0.2")
    small_page = 5
    small_pages = MappingProxyType({"page_size": 5, "report_page": 7, "directory_page": 10})
    listing = f"GET {APPS}"
    creating = f"POST {APPS}"
    failing_pattern = "/v1.0/*"
    missing_id = "00000000-0000-4000-8000-000000000000"

    def sandbox_options(self, devices: int) -> dict[str, Any]:
        return {
            "devices_macos": devices,
            "devices_windows": 0,
            "macos_mdm": dict.fromkeys(RINGS, "intune"),
        }

    def open(self, sandbox: Sandbox, **options: Any) -> TenantConnector:
        return macos_connector(sandbox, **options)

    def settings(self, sandbox: Sandbox) -> dict[str, str]:
        return IntuneProvider().settings(sandbox)  # the same tenant and INTUNE_ keys

    def desired(self, intent: str) -> DesiredApp:
        return mac_app(intent)

    def edited(self, app: DesiredApp) -> tuple[DesiredApp, str]:
        key = "ignoreVersionDetection"
        return replace(app, properties={**app.properties, key: True}), key

    def objects(self, sandbox: Sandbox) -> Mapping[str, int]:
        return {"macOS apps": len(sandbox.graph.apps)}
