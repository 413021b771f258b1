"""Request observers: every attempt's outcome and every breaker state change, reported."""

from __future__ import annotations

import httpx
import pytest

from reconciler.connectors import (
    CircuitBreaker,
    CircuitChanged,
    CircuitState,
    HttpEvent,
    RequestObserved,
    observe_http,
)
from reconciler.domain.errors import CircuitOpenError, TransientTenantError
from tests.connectors.test_http_core import Tenant, make_client


async def test_each_attempt_reports_its_status_or_error_kind() -> None:
    events: list[HttpEvent] = []
    tenant = Tenant([
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.ConnectError("refused"),
        httpx.Response(200),
    ])  # fmt: skip
    client = make_client(tenant)
    client.observer = events.append
    await client.request("GET", "/x")
    assert events == [
        RequestObserved("graph", "429"),
        RequestObserved("graph", "ConnectError"),
        RequestObserved("graph", "200"),
    ]


async def test_breaker_changes_are_reported_once_each() -> None:
    now = [0.0]
    breaker = CircuitBreaker("graph", failure_threshold=2, reset_timeout=30, clock=lambda: now[0])
    tenant = Tenant([httpx.Response(503)])
    client = make_client(tenant, attempts=1, breaker=breaker)
    events: list[HttpEvent] = []
    client.observer = events.append
    for _ in range(2):
        with pytest.raises(TransientTenantError):
            await client.request("GET", "/x")
    with pytest.raises(CircuitOpenError):
        await client.request("GET", "/x")  # refused: no request, no new state
    now[0] = 31.0
    tenant.answers = [httpx.Response(200)]
    await client.request("GET", "/x")
    changes = [e for e in events if isinstance(e, CircuitChanged)]
    assert changes == [
        CircuitChanged("graph", CircuitState.OPEN),
        CircuitChanged("graph", CircuitState.CLOSED),
    ]
    assert [e.outcome for e in events if isinstance(e, RequestObserved)] == ["503", "503", "200"]


async def test_registered_observers_hear_clients_without_their_own() -> None:
    heard: list[HttpEvent] = []

    def broken(_: HttpEvent) -> None:
        raise RuntimeError("observer bug")

    forget_broken, forget = observe_http(broken), observe_http(heard.append)
    try:
        response = await make_client(Tenant([httpx.Response(204)])).request("GET", "/x")
        assert response.status_code == 204  # a failing observer fails nothing
        assert heard == [RequestObserved("graph", "204")]
    finally:
        forget_broken()
        forget()
    await make_client(Tenant([httpx.Response(204)])).request("GET", "/x")
    assert len(heard) == 1
