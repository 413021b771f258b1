"""Building the ``intune-macos`` provider's connector from its settings.

Sits before the observe step. Intune for macOS is the same Entra tenant as Windows Intune:
the same ``INTUNE_*`` settings (:class:`~reconciler.connectors.graph.GraphSettings`: tenant,
app registration, optional ``INTUNE_GRAPH_URL`` / ``INTUNE_AUTHORITY_URL``) and the same
kind of Graph service client (token, retries, breaker, budgets); only the connector on top
differs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from reconciler.connectors.core.breaker import CircuitBreaker
from reconciler.connectors.core.http import RetryPolicy
from reconciler.connectors.graph.settings import GraphSettings, graph_service
from reconciler.connectors.intune_macos.connector import IntuneMacosConnector

#: the provider's settings are the tenant's Graph settings, read from the same keys
IntuneMacosSettings = GraphSettings


def intune_macos_connector(
    settings: GraphSettings,
    *,
    retry: RetryPolicy | None = None,
    breaker: CircuitBreaker | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    page_size: int = 100,
    poll_interval: float = 1.0,
) -> IntuneMacosConnector:
    """An Intune for macOS connector with its own client, token cache, breaker and budgets."""
    graph = graph_service(settings, retry=retry, breaker=breaker, transport=transport, sleep=sleep)
    return IntuneMacosConnector(graph, page_size=page_size, poll_interval=poll_interval)
