"""Building the ``intune`` provider's connector from its settings.

Sits before the observe step. Intune reaches one Entra tenant's Graph with the
``INTUNE_*`` settings every Intune-family provider shares
(:class:`~reconciler.connectors.graph.GraphSettings`): ``INTUNE_TENANT_ID``,
``INTUNE_CLIENT_ID``, ``INTUNE_CLIENT_SECRET`` and optionally ``INTUNE_GRAPH_URL`` /
``INTUNE_AUTHORITY_URL`` (another Graph, e.g. the sandbox).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from reconciler.connectors.core.breaker import CircuitBreaker
from reconciler.connectors.core.http import RetryPolicy
from reconciler.connectors.graph.settings import GraphSettings, graph_service
from reconciler.connectors.intune.connector import IntuneConnector

#: the Intune provider's settings are the tenant's Graph settings
IntuneSettings = GraphSettings


def intune_connector(
    settings: GraphSettings,
    *,
    retry: RetryPolicy | None = None,
    breaker: CircuitBreaker | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    page_size: int = 100,
    poll_interval: float = 1.0,
) -> IntuneConnector:
    """An Intune connector with its own client, token cache, breaker and budgets."""
    graph = graph_service(settings, retry=retry, breaker=breaker, transport=transport, sleep=sleep)
    return IntuneConnector(graph, page_size=page_size, poll_interval=poll_interval)
