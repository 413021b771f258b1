"""HTTP core shared by the Intune and Jamf Pro connectors.

One :class:`ServiceClient` per tenant and service: an ``httpx.AsyncClient`` with timeouts
and a connection limit, bearer tokens from :class:`ClientCredentials` (refreshed once on a
401), tenacity retries with exponential backoff and jitter on 429/5xx/timeouts/resets
that honour ``Retry-After``, a circuit breaker, an optional write budget, a
``client-request-id`` on every call, and one structlog event per attempt with secrets
redacted. Failures leave as the domain's exception tree (:mod:`._errors`).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from reconciler.connectors._auth import ClientCredentials
from reconciler.connectors._breaker import CircuitBreaker
from reconciler.connectors._budget import WriteBudget
from reconciler.connectors._errors import error_for
from reconciler.domain.errors import CircuitOpenError, TenantError, TransientTenantError

log = structlog.get_logger("eucora.http")

#: set by the engine per pass, so every call of a pass carries the same id
correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "eucora_correlation_id", default=None
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5
    initial: float = 0.5
    maximum: float = 30.0


def _retryable(error: BaseException) -> bool:
    """Transient failures are retried; an open circuit is not (it says when to come back)."""
    return isinstance(error, TransientTenantError) and not isinstance(error, CircuitOpenError)


class ServiceClient:
    def __init__(
        self,
        *,
        base_url: str,
        service: str,
        credentials: ClientCredentials | None,
        client: httpx.AsyncClient,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        budget: WriteBudget | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.credentials = credentials
        self.client = client
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker(service)
        self.budget = budget
        self._sleep = sleep
        self.requests = 0
        self.writes = 0

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> httpx.Response:
        """Send with retries; returns a 2xx response or raises a TenantError."""
        write = method.upper() in WRITE_METHODS
        if write and self.budget is not None:
            await self.budget.acquire()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=retry_if_exception(_retryable),
            reraise=True,
            sleep=self._sleep or asyncio.sleep,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(
                    method.upper(),
                    self.url(path),
                    attempt.retry_state.attempt_number,
                    {
                        "json": json,
                        "content": content,
                        "data": data,
                        "files": files,
                        "params": params,
                    },
                    dict(headers or {}),
                    authenticated,
                    write,
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TenantError) and error.retry_after is not None:
            return error.retry_after
        backoff = wait_random_exponential(multiplier=self.retry.initial, max=self.retry.maximum)
        return float(backoff(state))

    async def _attempt(
        self,
        method: str,
        url: str,
        attempt: int,
        body: dict[str, Any],
        headers: dict[str, str],
        authenticated: bool,
        write: bool,
    ) -> httpx.Response:
        self.breaker.before_call()
        request_id = correlation_id.get() or str(uuid.uuid4())
        headers["client-request-id"] = request_id
        refreshed = False
        while True:
            if authenticated and self.credentials is not None:
                headers["Authorization"] = f"Bearer {await self.credentials.token()}"
            started = time.perf_counter()
            self.requests += 1
            self.writes += int(write)
            try:
                response = await self.client.request(method, url, headers=headers, **body)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                self.breaker.failure()
                self._log(method, url, None, started, attempt, request_id, error=type(exc).__name__)
                raise TransientTenantError(
                    f"{self.service} {method} {httpx.URL(url).path}: {type(exc).__name__}",
                    service=self.service,
                ) from exc
            self._log(method, url, response.status_code, started, attempt, request_id)
            if response.status_code == 401 and authenticated and self.credentials and not refreshed:
                self.credentials.invalidate()
                refreshed = True
                continue
            if response.is_success:
                self.breaker.success()
                return response
            error = error_for(response, self.service)
            if isinstance(error, TransientTenantError):
                self.breaker.failure()
            raise error

    def _log(
        self,
        method: str,
        url: str,
        status: int | None,
        started: float,
        attempt: int,
        request_id: str,
        **extra: Any,
    ) -> None:
        log.info(
            "http.request",
            service=self.service,
            method=method,
            path=httpx.URL(url).path,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
            attempt=attempt,
            client_request_id=request_id,
            **extra,
        )

    async def aclose(self) -> None:
        await self.client.aclose()


def new_http_client(
    *,
    max_connections: int,
    timeout: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=10.0),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        transport=transport,
        follow_redirects=False,
    )
