"""Shared setup for the Intune connector's contract tests: a connector wired to a sandbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from reconciler.connectors import (
    CircuitBreaker,
    ClientCredentials,
    IntuneConnector,
    LocalPackageStore,
    RetryPolicy,
    ServiceClient,
    new_http_client,
)
from reconciler.connectors.registry import desired_apps
from reconciler.domain.loader import load_repo
from reconciler.domain.render import detection_scripts
from reconciler.domain.tenant import Assignment, AssignmentIntent, DesiredApp, Platform, TargetKind
from reconciler.sandbox import Sandbox
from tests.conftest import EXAMPLE_REPO

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
REPO = load_repo(EXAMPLE_REPO).repo
STORE = LocalPackageStore(EXAMPLE_REPO)
LAB = "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01"
CANARY = "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b02"


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
    async def no_wait(_: float) -> None:
        return None

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
    return [Assignment(TargetKind.GROUP, g, AssignmentIntent.REQUIRED) for g in groups]
