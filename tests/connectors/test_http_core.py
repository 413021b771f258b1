"""The HTTP core: retries, Retry-After, token refresh, breaker, write budget, errors, redaction.

httpx.MockTransport is the test seam: every test scripts the service's answers.
"""

from __future__ import annotations

import io
import json

import httpx
import pytest
import structlog

from reconciler.connectors._auth import ClientCredentials
from reconciler.connectors._breaker import CircuitBreaker, CircuitState
from reconciler.connectors._budget import WriteBudget
from reconciler.connectors._http import RetryPolicy, ServiceClient, correlation_id
from reconciler.domain.errors import (
    AuthenticationError,
    CircuitOpenError,
    ConflictError,
    NotFoundError,
    RequestRejectedError,
    TransientTenantError,
)
from reconciler.logs import redact_secrets

SECRET = "s3cr3t-Client~Value"
TOKEN_PREFIX = "tok-"


class Tenant:
    """A scripted service: a token endpoint and an API answering from a list."""

    def __init__(self, answers: list[httpx.Response | Exception]) -> None:
        self.answers = answers
        self.api_calls: list[httpx.Request] = []
        self.token_calls = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            self.token_calls += 1
            form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
            assert form["client_secret"] == SECRET
            return httpx.Response(
                200,
                json={
                    "token_type": "Bearer",
                    "expires_in": 3599,
                    "access_token": f"{TOKEN_PREFIX}{self.token_calls}",
                },
            )
        self.api_calls.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def make_client(
    tenant: Tenant,
    *,
    attempts: int = 5,
    breaker: CircuitBreaker | None = None,
    budget: WriteBudget | None = None,
    sleeps: list[float] | None = None,
) -> ServiceClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(tenant.handler))
    recorded = sleeps if sleeps is not None else []

    async def sleep(seconds: float) -> None:
        recorded.append(seconds)

    return ServiceClient(
        base_url="https://graph.example/v1.0",
        service="graph",
        credentials=ClientCredentials(
            http,
            ["https://login.example/t/oauth2/v2.0/token"],
            "client",
            SECRET,
            scope="x/.default",
        ),
        client=http,
        retry=RetryPolicy(attempts=attempts, initial=0.5, maximum=8),
        breaker=breaker,
        budget=budget,
        sleep=sleep,
    )


def graph_error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    body = {"error": {"code": code, "message": message, "innerError": {"request-id": "r-1"}}}
    return httpx.Response(status, json=body, headers=headers)


async def test_429_is_retried_after_retry_after() -> None:
    tenant = Tenant(
        [graph_error(429, "TooManyRequests", "slow down", **{"Retry-After": "2"})] * 2
        + [httpx.Response(200, json={"value": []})]
    )
    sleeps: list[float] = []
    response = await make_client(tenant, sleeps=sleeps).request(
        "GET", "/deviceAppManagement/mobileApps"
    )
    assert response.status_code == 200
    assert sleeps == [2.0, 2.0]
    assert len(tenant.api_calls) == 3


async def test_5xx_and_resets_back_off_exponentially_with_jitter() -> None:
    tenant = Tenant(
        [httpx.Response(503), httpx.ConnectError("reset"), httpx.Response(502), httpx.Response(200)]
    )
    sleeps: list[float] = []
    assert (await make_client(tenant, sleeps=sleeps).request("GET", "/x")).status_code == 200
    assert len(sleeps) == 3 and all(0 <= s <= 8 for s in sleeps)


async def test_gives_up_after_the_attempts() -> None:
    tenant = Tenant([httpx.Response(503)])
    with pytest.raises(TransientTenantError):
        await make_client(tenant, attempts=3).request("GET", "/x")
    assert len(tenant.api_calls) == 3


async def test_401_refreshes_the_token_exactly_once() -> None:
    tenant = Tenant([httpx.Response(401), httpx.Response(200)])
    client = make_client(tenant)
    assert (await client.request("GET", "/x")).status_code == 200
    assert tenant.token_calls == 2
    assert [r.headers["Authorization"] for r in tenant.api_calls] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]
    always = Tenant([httpx.Response(401)])
    with pytest.raises(AuthenticationError):
        await make_client(always).request("GET", "/x")
    assert always.token_calls == 2 and len(always.api_calls) == 2


async def test_token_is_cached_between_calls() -> None:
    tenant = Tenant([httpx.Response(200)])
    client = make_client(tenant)
    for _ in range(3):
        await client.request("GET", "/x")
    assert tenant.token_calls == 1


async def test_jamf_token_path_falls_back_to_v1() -> None:
    paths = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path == "/api/oauth/token":
            return httpx.Response(404)
        return httpx.Response(
            200, json={"access_token": "t", "expires_in": 599, "token_type": "Bearer"}
        )

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    creds = ClientCredentials(
        http,
        ["https://jamf.example/api/oauth/token", "https://jamf.example/api/v1/oauth/token"],
        "id",
        SECRET,
    )
    assert await creds.token() == "t"
    assert paths == ["/api/oauth/token", "/api/v1/oauth/token"]


async def test_breaker_opens_after_repeated_failures_and_recovers() -> None:
    now = [0.0]
    breaker = CircuitBreaker("graph", failure_threshold=3, reset_timeout=30, clock=lambda: now[0])
    tenant = Tenant([httpx.Response(503)])
    client = make_client(tenant, attempts=1, breaker=breaker)
    for _ in range(3):
        with pytest.raises(TransientTenantError):
            await client.request("GET", "/x")
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitOpenError) as opened:
        await client.request("GET", "/x")
    assert len(tenant.api_calls) == 3 and opened.value.retry_after == 30
    now[0] = 31.0
    tenant.answers = [httpx.Response(200)]
    assert (await client.request("GET", "/x")).status_code == 200
    assert breaker.state is CircuitState.CLOSED


async def test_half_open_failure_opens_again() -> None:
    now = [0.0]
    breaker = CircuitBreaker("graph", failure_threshold=1, reset_timeout=10, clock=lambda: now[0])
    client = make_client(Tenant([httpx.Response(500)]), attempts=1, breaker=breaker)
    with pytest.raises(TransientTenantError):
        await client.request("GET", "/x")
    now[0] = 11
    with pytest.raises(TransientTenantError):
        await client.request("GET", "/x")  # the trial call fails
    assert breaker.state is CircuitState.OPEN


async def test_write_budget_waits_instead_of_being_throttled() -> None:
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    budget = WriteBudget(3, 20, clock=lambda: now[0], sleep=sleep)
    client = make_client(Tenant([httpx.Response(204)]), budget=budget)
    for _ in range(5):
        await client.request("PATCH", "/x", json={})
    await client.request("GET", "/x")  # reads are not budgeted
    assert waits == [20.0]
    assert client.writes == 5 and client.requests == 6


async def test_client_request_id_is_the_correlation_id() -> None:
    tenant = Tenant([httpx.Response(200)])
    client = make_client(tenant)
    token = correlation_id.set("corr-123")
    try:
        await client.request("GET", "/x")
    finally:
        correlation_id.reset(token)
    await client.request("GET", "/x")
    first, second = (r.headers["client-request-id"] for r in tenant.api_calls)
    assert first == "corr-123" and len(second) == 36


@pytest.mark.parametrize(
    ("response", "error", "text"),
    [
        (
            graph_error(
                400,
                "BadRequest",
                json.dumps(
                    {
                        "_version": 3,
                        "Message": "Win32LobApp installCommandLine is required",
                        "CustomApiErrorPhrase": "",
                    }
                ),
            ),
            RequestRejectedError,
            "installCommandLine is required",
        ),
        (
            graph_error(404, "ResourceNotFound", "mobileApp not found"),
            NotFoundError,
            "ResourceNotFound",
        ),
        (graph_error(409, "Conflict", "already exists"), ConflictError, "already exists"),
        (
            httpx.Response(
                400,
                json={
                    "httpStatus": 400,
                    "errors": [
                        {
                            "code": "DUPLICATE_FIELD",
                            "field": "packageName",
                            "description": "duplicate",
                            "id": "0",
                        }
                    ],
                },
            ),
            RequestRejectedError,
            "DUPLICATE_FIELD packageName: duplicate",
        ),
        (
            httpx.Response(
                409,
                text="<html><body><p>Error: Duplicate name</p></body></html>",
                headers={"Content-Type": "text/html"},
            ),
            ConflictError,
            "Error: Duplicate name",
        ),
        (
            httpx.Response(403, json={"error": {"code": "Forbidden", "message": "no"}}),
            AuthenticationError,
            "Forbidden",
        ),
    ],
)
async def test_error_bodies_map_into_the_exception_tree(
    response: httpx.Response, error: type[Exception], text: str
) -> None:
    with pytest.raises(error) as raised:
        await make_client(Tenant([response]), attempts=1).request("POST", "/x", json={})
    assert text in str(raised.value)


async def test_no_secret_reaches_the_logs() -> None:
    buffer = io.StringIO()
    structlog.configure(
        processors=[redact_secrets, structlog.processors.JSONRenderer()],
        logger_factory=structlog.PrintLoggerFactory(buffer),
        cache_logger_on_first_use=False,
    )
    try:
        tenant = Tenant([httpx.Response(401), graph_error(400, "BadRequest", "bad")])
        client = make_client(tenant, attempts=1)
        with pytest.raises(RequestRejectedError):
            await client.request("POST", "/x", json={"password": "hunter2"})
        log = structlog.get_logger("test")
        log.info(
            "debugging",
            client_secret=SECRET,
            body=f"grant_type=client_credentials&client_secret={SECRET}",
        )
        log.info(
            "headers",
            headers={"Authorization": "Bearer tok-1"},
            url="https://u:hunter2@host/x?sig=abcdef",
        )
        log.warning("oops", message=f'{{"access_token": "{TOKEN_PREFIX}2"}}')
    finally:
        structlog.reset_defaults()
    output = buffer.getvalue()
    assert "http.request" in output and "client_request_id" in output
    for secret in (SECRET, "tok-1", "tok-2", "hunter2", "abcdef"):
        assert secret not in output, secret
