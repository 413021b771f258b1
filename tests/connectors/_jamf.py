"""Shared setup for the Jamf Pro connector's contract tests: a connector wired to a sandbox."""

from __future__ import annotations

from reconciler.connectors import (
    CircuitBreaker,
    JamfConnector,
    JamfSettings,
    RetryPolicy,
    jamf_connector,
)
from reconciler.connectors.registry import desired_apps
from reconciler.domain.tenant import Assignment, AssignmentIntent, DesiredApp, Platform, TargetKind
from reconciler.sandbox import Sandbox
from tests.connectors._intune import REPO

LAB, CANARY, PILOT = "101", "102", "103"


async def no_wait(_: float) -> None:
    return None


def jamf_for(
    sandbox: Sandbox,
    *,
    attempts: int = 10,
    breaker: CircuitBreaker | None = None,
    page_size: int = 100,
    inventory_page_size: int = 500,
    oauth: bool = True,
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
    )


def mac_app(intent: str) -> DesiredApp:
    return next(a for a in desired_apps(REPO.intents[intent]) if a.platform is Platform.MACOS)


def scoped(*groups: str, intent: AssignmentIntent = AssignmentIntent.REQUIRED) -> list[Assignment]:
    return [Assignment(TargetKind.GROUP, g, intent) for g in groups]
