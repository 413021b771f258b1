"""The ``jamf`` provider's settings and the building of its connector.

Sits before the observe step. Settings come from the environment or a Kubernetes Secret
with the keys ``JAMF_URL`` and ``JAMF_CLIENT_ID`` / ``JAMF_CLIENT_SECRET`` (an API client,
preferred) or ``JAMF_USERNAME`` / ``JAMF_PASSWORD``. Each server gets its own
``httpx.AsyncClient`` with at most 5 connections (Jamf Pro has no rate limiter), token
source, retry policy and circuit breaker.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import httpx

from reconciler.connectors.core.auth import ClientCredentials, JamfUserToken
from reconciler.connectors.core.breaker import CircuitBreaker
from reconciler.connectors.core.http import RetryPolicy, ServiceClient, TokenSource, new_http_client
from reconciler.connectors.core.settings import required, url
from reconciler.connectors.jamf.connector import MAX_CONCURRENCY, JamfConnector
from reconciler.domain.errors import ConfigurationError


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
        base = url(env, "JAMF_URL", "")
        if env.get("JAMF_CLIENT_ID", "").strip():
            return cls(
                url=base,
                client_id=required(env, "JAMF_CLIENT_ID"),
                client_secret=required(env, "JAMF_CLIENT_SECRET"),
            )
        return cls(
            url=base,
            username=required(env, "JAMF_USERNAME"),
            password=required(env, "JAMF_PASSWORD"),
        )


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
