"""Building the ``intune-macos`` provider's connector from its settings.

Sits before the observe step. Intune for macOS is the same Entra tenant as Windows Intune:
the same ``INTUNE_*`` settings (tenant, app registration, optional ``INTUNE_GRAPH_URL`` /
``INTUNE_AUTHORITY_URL``) and the same Graph service client (token, retries, breaker,
budgets); only the connector on top differs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from reconciler.connectors._breaker import CircuitBreaker
from reconciler.connectors._http import RetryPolicy
from reconciler.connectors._tenants import IntuneSettings, intune_connector
from reconciler.connectors.intune_macos.connector import IntuneMacosConnector

#: the provider's settings are the tenant's Graph settings, read from the same keys
IntuneMacosSettings = IntuneSettings


def intune_macos_connector(
    settings: IntuneSettings,
    *,
    retry: RetryPolicy | None = None,
    breaker: CircuitBreaker | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    page_size: int = 100,
    poll_interval: float = 1.0,
) -> IntuneMacosConnector:
    """An Intune for macOS connector with its own client, token cache, breaker and budgets."""
    windows = intune_connector(
        settings, retry=retry, breaker=breaker, transport=transport, sleep=sleep
    )
    return IntuneMacosConnector(windows.graph, page_size=page_size, poll_interval=poll_interval)
