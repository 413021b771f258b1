"""Connector requests and breaker states become Prometheus samples."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import REGISTRY

from reconciler.connectors import CircuitBreaker, observe_http
from reconciler.domain.errors import TransientTenantError
from reconciler.operator._metrics import record_http
from tests.connectors.test_http_core import Tenant, make_client


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_requests_and_circuit_state_reach_the_metrics() -> None:
    before_503 = _sample("eucora_api_requests_total", connector="graph", status="503")
    before_200 = _sample("eucora_api_requests_total", connector="graph", status="200")
    now = [0.0]
    breaker = CircuitBreaker("graph", failure_threshold=2, reset_timeout=30, clock=lambda: now[0])
    tenant = Tenant([httpx.Response(503)])
    client = make_client(tenant, attempts=1, breaker=breaker)
    forget = observe_http(record_http)
    try:
        for _ in range(2):
            with pytest.raises(TransientTenantError):
                await client.request("GET", "/x")
        assert _sample("eucora_circuit_open", connector="graph") == 1.0
        now[0] = 31.0
        tenant.answers = [httpx.Response(200)]
        await client.request("GET", "/x")
    finally:
        forget()
    assert _sample("eucora_circuit_open", connector="graph") == 0.0
    assert _sample("eucora_api_requests_total", connector="graph", status="503") == before_503 + 2
    assert _sample("eucora_api_requests_total", connector="graph", status="200") == before_200 + 1
