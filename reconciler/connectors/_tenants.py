"""Building connectors from settings: the one place that wires the HTTP core together.

:func:`intune_connector` and :func:`jamf_connector` give each tenant its own
``httpx.AsyncClient`` (timeouts, connection limit — at most 5 for Jamf Pro, which has no
rate limiter), token source, retry policy, circuit breaker and, for Graph, the write budget
of Intune's documented limits (100 writes and 1,000 requests per 20 s per app and tenant).
Settings come from the environment or a Kubernetes Secret with the keys
``INTUNE_TENANT_ID``, ``INTUNE_CLIENT_ID``, ``INTUNE_CLIENT_SECRET``, ``JAMF_URL``,
``JAMF_CLIENT_ID``, ``JAMF_CLIENT_SECRET`` (see :meth:`IntuneSettings.from_mapping`).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import httpx

from reconciler.connectors._auth import ClientCredentials, JamfUserToken
from reconciler.connectors._breaker import CircuitBreaker
from reconciler.connectors._budget import WriteBudget
from reconciler.connectors._http import RetryPolicy, ServiceClient, TokenSource, new_http_client
from reconciler.connectors._intune import IntuneConnector
from reconciler.connectors._jamf import MAX_CONCURRENCY, JamfConnector
from reconciler.domain.errors import ConfigurationError

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GRAPH_URL = "https://graph.microsoft.com/v1.0"
AUTHORITY_URL = "https://login.microsoftonline.com"
#: Intune's documented per-app, per-tenant limits in a 20 s window
GRAPH_WRITES_PER_WINDOW = 100
GRAPH_REQUESTS_PER_WINDOW = 1000
GRAPH_WINDOW_SECONDS = 20.0


def _required(env: Mapping[str, str], key: str) -> str:
    value = env.get(key, "").strip()
    if not value:
        raise ConfigurationError(f"setting {key} is missing or empty")
    return value


def _url(env: Mapping[str, str], key: str, default: str) -> str:
    value = env.get(key, "").strip() or default
    if not value.startswith(("https://", "http://")):
        raise ConfigurationError(f"setting {key} must be an http(s) URL, not {value!r}")
    return value.rstrip("/")


@dataclass(frozen=True, slots=True)
class IntuneSettings:
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
    def from_mapping(cls, env: Mapping[str, str] | None = None) -> IntuneSettings:
        """From ``INTUNE_*`` keys (environment by default). ``INTUNE_GRAPH_URL`` and
        ``INTUNE_AUTHORITY_URL`` point at another Graph, e.g. the sandbox."""
        env = os.environ if env is None else env
        return cls(
            tenant_id=_required(env, "INTUNE_TENANT_ID"),
            client_id=_required(env, "INTUNE_CLIENT_ID"),
            client_secret=_required(env, "INTUNE_CLIENT_SECRET"),
            graph_url=_url(env, "INTUNE_GRAPH_URL", GRAPH_URL),
            authority_url=_url(env, "INTUNE_AUTHORITY_URL", AUTHORITY_URL),
        )


@dataclass(frozen=True, slots=True)
class JamfSettings:
    """Where and how to reach one Jamf Pro server: an API client (preferred) or a user."""

    url: str
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 60.0
    max_connections: int = MAX_CONCURRENCY

    @classmethod
    def from_mapping(cls, env: Mapping[str, str] | None = None) -> JamfSettings:
        """From ``JAMF_URL`` and ``JAMF_CLIENT_ID``/``JAMF_CLIENT_SECRET`` (or
        ``JAMF_USERNAME``/``JAMF_PASSWORD``), environment by default."""
        env = os.environ if env is None else env
        url = _url(env, "JAMF_URL", "")
        if env.get("JAMF_CLIENT_ID", "").strip():
            return cls(
                url=url,
                client_id=_required(env, "JAMF_CLIENT_ID"),
                client_secret=_required(env, "JAMF_CLIENT_SECRET"),
            )
        return cls(
            url=url,
            username=_required(env, "JAMF_USERNAME"),
            password=_required(env, "JAMF_PASSWORD"),
        )


def intune_connector(
    settings: IntuneSettings,
    *,
    retry: RetryPolicy | None = None,
    breaker: CircuitBreaker | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    page_size: int = 100,
    poll_interval: float = 1.0,
) -> IntuneConnector:
    """An Intune connector with its own client, token cache, breaker and budgets."""
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
    graph = ServiceClient(
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
    return IntuneConnector(graph, page_size=page_size, poll_interval=poll_interval)


def jamf_connector(
    settings: JamfSettings,
    *,
    retry: RetryPolicy | None = None,
    breaker: CircuitBreaker | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    page_size: int = 100,
    inventory_page_size: int = 500,
    policy_category: str | None = None,
) -> JamfConnector:
    """A Jamf Pro connector: ≤ 5 connections, OAuth client (or user) token, breaker."""
    if not settings.url:
        raise ConfigurationError("setting JAMF_URL is missing or empty")
    http = new_http_client(
        max_connections=min(settings.max_connections, MAX_CONCURRENCY),
        timeout=settings.timeout,
        transport=transport,
    )
    base = settings.url.rstrip("/")
    credentials: TokenSource
    if settings.client_id:
        credentials = ClientCredentials(
            http,
            [f"{base}/api/oauth/token", f"{base}/api/v1/oauth/token"],
            settings.client_id,
            settings.client_secret,
            service="jamf-token",
        )
    elif settings.username:
        credentials = JamfUserToken(http, base, settings.username, settings.password)
    else:
        raise ConfigurationError("Jamf Pro needs JAMF_CLIENT_ID/SECRET or JAMF_USERNAME/PASSWORD")
    host = httpx.URL(base).host
    jamf = ServiceClient(
        base_url=base,
        service=f"jamf:{host}",
        credentials=credentials,
        client=http,
        retry=retry,
        breaker=breaker or CircuitBreaker(f"jamf:{host}"),
        sleep=sleep,
    )
    return JamfConnector(
        jamf,
        page_size=page_size,
        inventory_page_size=inventory_page_size,
        policy_category=policy_category,
    )
