"""HTTP core shared by every provider's connector (Graph, Jamf Pro, ...).

One :class:`ServiceClient` per tenant and service: an ``httpx.AsyncClient`` with timeouts
and a connection limit, bearer tokens from a :class:`TokenSource` (refreshed once on a
401), tenacity retries with exponential backoff and jitter on 429/5xx/timeouts/resets
that honour ``Retry-After``, a circuit breaker, optional write and request budgets, a
``client-request-id`` on every call, and one structlog event per attempt with secrets
redacted. Failures leave as the domain's exception tree (:mod:`.errors`).

Observers (:func:`observe_http`, or ``observer=`` per client) hear of every answered or
failed request and every change of a breaker's state; the operator turns these into
metrics without this layer knowing about Prometheus.

Creates are not idempotent on the wire, so :meth:`ServiceClient.create` never blindly
repeats one: after a failure that may have reached the service it asks ``find`` whether
the object exists before sending the create again.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx
import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from reconciler.connectors.core.breaker import CircuitBreaker, CircuitState
from reconciler.connectors.core.budget import WriteBudget
from reconciler.connectors.core.errors import error_for
from reconciler.domain.errors import CircuitOpenError, TenantError, TransientTenantError

log = structlog.get_logger("eucora.http")
T = TypeVar("T")

#: set by the engine per pass, so every call of a pass carries the same id
correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "eucora_correlation_id", default=None
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: failures after which the service certainly did not act on the request
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True, slots=True)
class RequestObserved:
    """One attempt ended: ``outcome`` is the HTTP status ("429") or the transport error
    kind ("ConnectTimeout")."""

    service: str
    outcome: str


@dataclass(frozen=True, slots=True)
class CircuitChanged:
    service: str
    state: CircuitState


HttpEvent = RequestObserved | CircuitChanged
HttpObserver = Callable[[HttpEvent], None]

#: process-wide observers, for clients built where the observer is not known (the engine)
_observers: list[HttpObserver] = []


def observe_http(observer: HttpObserver) -> Callable[[], None]:
    """Register ``observer`` for all clients without their own; returns the undo."""
    if observer not in _observers:
        _observers.append(observer)

    def forget() -> None:
        if observer in _observers:
            _observers.remove(observer)

    return forget


def _notify_registered(event: HttpEvent) -> None:
    for observer in list(_observers):
        try:
            observer(event)
        except Exception:  # an observer must never fail a request
            log.exception("http.observer_failed", observer=repr(observer))


class TokenSource(Protocol):
    """Where bearer tokens come from (:class:`ClientCredentials`, :class:`JamfUserToken`)."""

    async def token(self) -> str: ...

    def invalidate(self, rejected: str | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry transient failures.

    ``initial`` and ``maximum`` bound the exponential backoff with full jitter;
    a ``Retry-After`` answer is honoured up to ``max_retry_after`` seconds.
    """

    attempts: int = 5
    initial: float = 0.5
    maximum: float = 30.0
    max_retry_after: float = 120.0
    #: before looking for the object of a create whose answer was lost, give a request
    #: that may still be in flight this long to land
    settle: float = 2.0


def _retryable(error: BaseException) -> bool:
    """Transient failures are retried; an open circuit is not (it says when to come back)."""
    return isinstance(error, TransientTenantError) and not isinstance(error, CircuitOpenError)


def maybe_processed(error: TenantError) -> bool:
    """Whether a failed request may nevertheless have been carried out by the service."""
    if error.status == 429:
        return False
    return not isinstance(error.__cause__, _NOT_SENT)


class ServiceClient:
    def __init__(
        self,
        *,
        base_url: str,
        service: str,
        credentials: TokenSource | None,
        client: httpx.AsyncClient,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        budget: WriteBudget | None = None,
        request_budget: WriteBudget | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        observer: HttpObserver | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.credentials = credentials
        self.client = client
        self.retry = retry or RetryPolicy()
        self.breaker = breaker or CircuitBreaker(service)
        self.budget = budget
        self.request_budget = request_budget
        self.sleep = sleep or asyncio.sleep
        self.requests = 0
        self.writes = 0
        self.observer = observer or _notify_registered
        self._reported_state = CircuitState.CLOSED

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def _retrying(self) -> AsyncRetrying:
        return AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=retry_if_exception(_retryable),
            reraise=True,
            sleep=self.sleep,
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
        write: bool | None = None,
        retry: bool = True,
        cost: int = 1,
    ) -> httpx.Response:
        """Send with retries; returns a 2xx response or raises a TenantError.

        ``write`` overrides the verb's classification for the write budget: a ``$batch``
        of reads or a report action is a POST that changes nothing, and uploads to blob
        storage are not Graph writes. ``cost`` is how many requests the call counts as in
        the budgets (a ``$batch`` counts each inner request). ``retry=False`` sends
        exactly one attempt.
        """
        verb = method.upper()
        is_write = verb in WRITE_METHODS if write is None else write
        body = {"json": json, "content": content, "data": data, "files": files, "params": params}
        if not retry:
            url = self.url(path)
            return await self._attempt(verb, url, 1, body, headers, authenticated, is_write, cost)
        async for attempt in self._retrying():
            with attempt:
                return await self._attempt(
                    verb,
                    self.url(path),
                    attempt.retry_state.attempt_number,
                    body,
                    headers,
                    authenticated,
                    is_write,
                    cost,
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def create(
        self,
        path: str,
        *,
        find: Callable[[], Awaitable[T | None]],
        parse: Callable[[httpx.Response], T],
        method: str = "POST",
        **kwargs: Any,
    ) -> T:
        """A non-idempotent create that never leaves a duplicate behind.

        Retries like :meth:`request`, but when a failed attempt may have reached the
        service (a timeout, a reset connection, a 5xx), ``find`` is asked first and an
        object it finds is returned instead of creating another.
        """
        uncertain = False
        async for attempt in self._retrying():
            with attempt:
                if uncertain:
                    await self.sleep(self.retry.settle)
                    found = await find()
                    if found is not None:
                        log.info("http.create_recovered", service=self.service, path=path)
                        return found
                try:
                    response = await self.request(method, path, retry=False, **kwargs)
                except TransientTenantError as exc:
                    uncertain = uncertain or maybe_processed(exc)
                    raise
                return parse(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TenantError) and error.retry_after is not None:
            return min(error.retry_after, self.retry.max_retry_after)
        backoff = wait_random_exponential(multiplier=self.retry.initial, max=self.retry.maximum)
        return float(backoff(state))

    async def _attempt(
        self,
        method: str,
        url: str,
        attempt: int,
        body: dict[str, Any],
        extra_headers: Mapping[str, str] | None,
        authenticated: bool,
        write: bool,
        cost: int = 1,
    ) -> httpx.Response:
        try:
            self.breaker.before_call()
            if write and self.budget is not None:
                await self.budget.acquire(cost)
            if self.request_budget is not None:
                await self.request_budget.acquire(cost)
            headers = dict(extra_headers or {})
            request_id = correlation_id.get() or str(uuid.uuid4())
            headers["client-request-id"] = request_id
            refreshed = False
            token: str | None = None
            while True:
                if authenticated and self.credentials is not None:
                    try:
                        token = await self.credentials.token()
                    except TransientTenantError:
                        self.breaker.failure()
                        raise
                    headers["Authorization"] = f"Bearer {token}"
                started = time.perf_counter()
                self.requests += 1
                self.writes += int(write)
                try:
                    response = await self.client.request(method, url, headers=headers, **body)
                except httpx.TransportError as exc:
                    self.breaker.failure()
                    self.observer(RequestObserved(self.service, type(exc).__name__))
                    self._log(
                        method, url, None, started, attempt, request_id, error=type(exc).__name__
                    )
                    raise TransientTenantError(
                        f"{self.service} {method} {httpx.URL(url).path}: {type(exc).__name__}",
                        service=self.service,
                    ) from exc
                self._log(
                    method,
                    url,
                    response.status_code,
                    started,
                    attempt,
                    request_id,
                    request_id_service=response.headers.get("request-id"),
                )
                self.observer(RequestObserved(self.service, str(response.status_code)))
                if (
                    response.status_code == 401
                    and authenticated
                    and self.credentials
                    and not refreshed
                ):
                    self.credentials.invalidate(token)
                    refreshed = True
                    continue
                if response.is_success:
                    self.breaker.success()
                    return response
                error = error_for(response, self.service)
                if isinstance(error, TransientTenantError):
                    self.breaker.failure()
                else:
                    self.breaker.success()  # the service answered: it is up, the request was wrong
                raise error
        finally:
            self._report_circuit()

    def _report_circuit(self) -> None:
        # The breaker's state also moves with its clock, so compare with what was last
        # reported rather than with the state before this attempt.
        state = self.breaker.state
        if state is not self._reported_state:
            self._reported_state = state
            self.observer(CircuitChanged(self.service, state))

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
            **{k: v for k, v in extra.items() if v is not None},
        )

    async def aclose(self) -> None:
        await self.client.aclose()


def new_http_client(
    *,
    max_connections: int,
    timeout: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for one tenant: bounded connections, timeouts, no redirects.

    Cookies are kept, which Jamf Cloud's ``jpro-ingress`` stickiness needs for
    read-after-write consistency.
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=10.0, pool=timeout * 4),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        transport=transport,
        follow_redirects=False,
    )
