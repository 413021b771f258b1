"""The HTTP core: retries, Retry-After, token refresh, breaker, write budget, errors, redaction.

httpx.MockTransport is the test seam: every test scripts the service's answers.
"""

from __future__ import annotations

import io
import json

import httpx
import pytest
import structlog

from reconciler.connectors import IntuneSettings, JamfSettings, jamf_connector
from reconciler.connectors.core.auth import ClientCredentials, JamfUserToken
from reconciler.connectors.core.breaker import CircuitBreaker, CircuitState
from reconciler.connectors.core.budget import WriteBudget
from reconciler.connectors.core.http import RetryPolicy, ServiceClient, correlation_id
from reconciler.domain.errors import (
    AuthenticationError,
    CircuitOpenError,
    ConfigurationError,
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


async def test_retry_after_as_an_http_date_and_capped() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    tenant = Tenant(
        [
            graph_error(503, "ServiceUnavailable", "busy", **{"Retry-After": later}),
            graph_error(429, "TooManyRequests", "slow", **{"Retry-After": "86400"}),
            httpx.Response(200),
        ]
    )
    sleeps: list[float] = []
    await make_client(tenant, sleeps=sleeps).request("GET", "/x")
    assert 25 <= sleeps[0] <= 30 and sleeps[1] == 120.0


async def test_a_create_whose_answer_is_lost_looks_before_sending_again() -> None:
    created: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3599})
        created.append("app-1")
        raise httpx.ReadTimeout("lost", request=request)  # the service made it, no answer

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    looked: list[int] = []

    async def find() -> str | None:
        looked.append(1)
        return created[0] if created else None

    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = ServiceClient(
        base_url="https://graph.example/v1.0",
        service="graph",
        credentials=ClientCredentials(http, ["https://login.example/token"], "c", SECRET),
        client=http,
        retry=RetryPolicy(settle=2.0),
        sleep=sleep,
    )
    found = await client.create("/apps", json={}, find=find, parse=lambda r: r.json()["id"])
    assert found == "app-1" and created == ["app-1"] and looked == [1]
    assert 2.0 in sleeps  # it let the lost request land before looking


async def test_a_throttled_create_is_sent_again_without_looking() -> None:
    tenant = Tenant(
        [
            graph_error(429, "TooManyRequests", "slow", **{"Retry-After": "1"}),
            httpx.ConnectError("refused"),
            httpx.Response(201, json={"id": "new"}),
        ]
    )
    looked: list[int] = []

    async def find() -> str | None:
        looked.append(1)
        return None

    client = make_client(tenant)
    assert await client.create("/apps", json={}, find=find, parse=lambda r: r.json()["id"]) == "new"
    assert looked == [] and len(tenant.api_calls) == 3  # neither failure can have created it


async def test_concurrent_401s_cost_one_refresh() -> None:
    import asyncio

    first_token_rejected = {"tok-1"}

    tenant = Tenant([httpx.Response(200)])
    original = tenant.handler

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization", "").removeprefix("Bearer ") in first_token_rejected:
            tenant.api_calls.append(request)
            return httpx.Response(401)
        return original(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    creds = ClientCredentials(http, ["https://login.example/t/token"], "client", SECRET)
    client = ServiceClient(
        base_url="https://graph.example", service="graph", credentials=creds, client=http
    )
    await creds.token()
    await asyncio.gather(*(client.request("GET", f"/x/{n}") for n in range(5)))
    assert creds.issued == 2  # tok-1, then one refresh for all five 401s


async def test_reads_posted_as_batches_and_storage_puts_spend_no_write_budget() -> None:
    now = [0.0]
    budget = WriteBudget(1, 20, clock=lambda: now[0])
    requests = WriteBudget(3, 20, clock=lambda: now[0])
    tenant = Tenant([httpx.Response(200, json={"responses": []})])
    client = make_client(tenant, budget=budget)
    client.request_budget = requests
    await client.request("POST", "/$batch", json={"requests": []}, write=False)
    await client.request("PUT", "https://blob.example/x?sig=1", content=b"", write=False)
    await client.request("PATCH", "/x", json={})
    assert client.writes == 1 and client.requests == 3
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    requests._sleep = sleep
    await client.request("GET", "/x")  # the 4th request in 20 s waits for the window
    assert waits == [20.0]


async def test_classic_409_other_than_duplicate_is_a_rejected_request() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            409,
            text="<html><body><p>Error: Unable to match computer group 7</p></body></html>",
            headers={"Content-Type": "text/html;charset=UTF-8"},
        )

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = ServiceClient(
        base_url="https://jamf.example", service="jamf", credentials=None, client=http
    )
    with pytest.raises(RequestRejectedError, match="Unable to match computer group 7"):
        await client.request("PUT", "/JSSResource/policies/id/1", content=b"<policy/>")


async def test_intune_message_with_a_prefix_before_its_json() -> None:
    inner = json.dumps({"_version": 3, "Message": "App is not published"})
    with pytest.raises(RequestRejectedError) as raised:
        await make_client(
            Tenant([graph_error(400, "BadRequest", f"Operation failed: {inner}")]), attempts=1
        ).request("POST", "/x", json={})
    assert "Operation failed: App is not published" in str(raised.value)
    assert raised.value.code == "BadRequest" and raised.value.request_id == "r-1"


async def test_jamf_user_token_from_basic_credentials() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={"token": "user-tok", "expires": "2099-01-01T00:00:00Z"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    token = JamfUserToken(http, "https://jamf.example", "admin", "hunter2")
    assert await token.token() == "user-tok" and await token.token() == "user-tok"
    assert len(seen) == 1 and seen[0].startswith("Basic ")


def test_settings_from_a_secret_and_never_in_repr() -> None:
    secret = {
        "INTUNE_TENANT_ID": "t",
        "INTUNE_CLIENT_ID": "c",
        "INTUNE_CLIENT_SECRET": SECRET,
        "JAMF_URL": "https://jamf.example",
        "JAMF_CLIENT_ID": "j",
        "JAMF_CLIENT_SECRET": SECRET,
    }
    intune, jamf = IntuneSettings.from_mapping(secret), JamfSettings.from_mapping(secret)
    assert intune.token_url == "https://login.microsoftonline.com/t/oauth2/v2.0/token"
    assert SECRET not in repr(intune) and SECRET not in repr(jamf)
    with pytest.raises(ConfigurationError, match="INTUNE_CLIENT_SECRET"):
        IntuneSettings.from_mapping({**secret, "INTUNE_CLIENT_SECRET": " "})
    with pytest.raises(ConfigurationError, match="JAMF_URL"):
        JamfSettings.from_mapping({**secret, "JAMF_URL": "jamf.example"})
    with pytest.raises(ConfigurationError, match="JAMF_USERNAME"):
        JamfSettings.from_mapping({"JAMF_URL": "https://jamf.example"})


async def test_jamf_connector_keeps_to_five_connections() -> None:
    in_flight, peak = [0], [0]

    async def handler(request: httpx.Request) -> httpx.Response:
        import asyncio

        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 599})
        in_flight[0] += 1
        peak[0] = max(peak[0], in_flight[0])
        await asyncio.sleep(0.01)
        in_flight[0] -= 1
        return httpx.Response(200, json={"computer_history": {"policy_logs": []}})

    connector = jamf_connector(
        JamfSettings(url="https://jamf.example", client_id="c", client_secret=SECRET),
        transport=httpx.MockTransport(handler),
    )
    await connector._gather(connector._latest_policy_runs(str(n)) for n in range(40))
    assert peak[0] == 5
    await connector.aclose()
