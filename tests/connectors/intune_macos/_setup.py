"""An Intune for macOS connector wired to a sandbox, and desired apps from the example repo."""

from __future__ import annotations

from dataclasses import replace

from reconciler.connectors.intune_macos import IntuneMacosConnector, desired_app
from reconciler.domain.models import DeploymentIntent
from reconciler.domain.tenant import DesiredApp
from reconciler.sandbox import Sandbox
from tests.connectors._intune import REPO, connector_for


def macos_connector(sandbox: Sandbox, **options: object) -> IntuneMacosConnector:
    windows = connector_for(sandbox, **options)  # type: ignore[arg-type]
    return IntuneMacosConnector(
        windows.graph,
        page_size=windows.page_size,
        report_page=windows.report_page,
        directory_page=windows.directory_page,
        poll_interval=0,
    )


def intent(name: str) -> DeploymentIntent:
    return REPO.intents[name]


def mac_app(name: str, **package: object) -> DesiredApp:
    document = intent(name)
    assert document.macos is not None
    return desired_app(document, replace(document.macos, **package))  # type: ignore[arg-type]
