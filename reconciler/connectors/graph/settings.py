"""Where and how to reach one Entra tenant's Microsoft Graph, and the Graph service client.

Sits before the observe step, where connectors are built. Every Intune-family provider
(Windows ``win32LobApp``, macOS apps) reaches the same tenant with the same app
registration, so they share :class:`GraphSettings` (the ``INTUNE_*`` keys of the
environment or a Kubernetes Secret) and :func:`graph_service`: one ``httpx.AsyncClient``,
the client-credentials token, the retry policy, a breaker per tenant and the write and
request budgets of Intune's documented limits (100 writes and 1,000 requests per 20 s per
app and tenant).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import httpx

from reconciler.connectors.core.auth import ClientCredentials
from reconciler.connectors.core.breaker import CircuitBreaker
from reconciler.connectors.core.budget import WriteBudget
from reconciler.connectors.core.http import RetryPolicy, ServiceClient, new_http_client
from reconciler.connectors.core.settings import required, url

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GRAPH_URL = "https://graph.microsoft.com/v1.0"
AUTHORITY_URL = "https://login.microsoftonline.com"
#: Intune's documented per-app, per-tenant limits in a 20 s window
GRAPH_WRITES_PER_WINDOW = 100
GRAPH_REQUESTS_PER_WINDOW = 1000
GRAPH_WINDOW_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class GraphSettings:
    """Where and how to reach one Intune tenant. The secret never appears in ``repr``."""

    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    graph_url: str = GRAPH_URL
    authority_url: str = AUTHORITY_URL
    timeout: float = 30.0
    max_connections: int = 10

    @property
    def token_url(self) -> str:
        return f"{self.authority_url.rstrip('/')}/{self.tenant_id}/oauth2/v2.0/token"

    @classmethod
    def from_mapping(cls, env: Mapping[str, str] | None = None) -> GraphSettings:
        """From ``INTUNE_*`` keys (environment by default). ``INTUNE_GRAPH_URL`` and
        ``INTUNE_AUTHORITY_URL`` point at another Graph, e.g. the sandbox."""
        env = os.environ if env is None else env
        return cls(
            tenant_id=required(env, "INTUNE_TENANT_ID"),
            client_id=required(env, "INTUNE_CLIENT_ID"),
            client_secret=required(env, "INTUNE_CLIENT_SECRET"),
            graph_url=url(env, "INTUNE_GRAPH_URL", GRAPH_URL),
            authority_url=url(env, "INTUNE_AUTHORITY_URL", AUTHORITY_URL),
        )


def graph_service(
    settings: GraphSettings,
    *,
    retry: RetryPolicy | None = None,
    breaker: CircuitBreaker | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> ServiceClient:
    """Graph for one tenant: its own client, token cache, breaker and budgets."""
    http = new_http_client(
        max_connections=settings.max_connections, timeout=settings.timeout, transport=transport
    )
    credentials = ClientCredentials(
        http,
        [settings.token_url],
        settings.client_id,
        settings.client_secret,
        scope=GRAPH_SCOPE,
        service="entra",
    )
    return ServiceClient(
        base_url=settings.graph_url,
        service=f"graph:{settings.tenant_id}",
        credentials=credentials,
        client=http,
        retry=retry,
        breaker=breaker or CircuitBreaker(f"graph:{settings.tenant_id}"),
        budget=WriteBudget(GRAPH_WRITES_PER_WINDOW, GRAPH_WINDOW_SECONDS),
        request_budget=WriteBudget(GRAPH_REQUESTS_PER_WINDOW, GRAPH_WINDOW_SECONDS),
        sleep=sleep,
    )
