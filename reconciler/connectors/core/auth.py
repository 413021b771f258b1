"""Bearer tokens for the connectors, cached and refreshed before they expire.

:class:`ClientCredentials` is the OAuth2 client-credentials grant that Entra ID
(``/{tenant}/oauth2/v2.0/token`` with ``scope=https://graph.microsoft.com/.default``) and
Jamf Pro (``/api/oauth/token``, falling back to ``/api/v1/oauth/token`` on 404) both speak.
:class:`JamfUserToken` is Jamf Pro's older user-account token (``/api/v1/auth/token`` with
Basic credentials). A token is refreshed once a fraction (:data:`REFRESH_FRACTION`) of its
lifetime has passed: Jamf API clients' lifetimes are set per client and can be 60 s, so a
fixed margin would fetch a token before every call. A 401 on an API call invalidates the
cached token so the HTTP core can retry once with a fresh one. Token requests are logged
without their bodies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import httpx
import structlog

from reconciler.connectors.core.errors import error_for
from reconciler.domain.errors import AuthenticationError, TransientTenantError

#: refresh once this fraction of the token's lifetime (``expires_in``) has passed
REFRESH_FRACTION = 0.75
#: a lifetime the token endpoint does not say, or that has already run out
FALLBACK_LIFETIME = 300.0
log = structlog.get_logger("eucora.auth")


class _CachedToken:
    def __init__(self, client: httpx.AsyncClient, service: str, clock: Callable[[], float]) -> None:
        self._client = client
        self._service = service
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        #: tokens fetched so far (tests and benchmarks count refreshes)
        self.issued = 0

    def invalidate(self, rejected: str | None = None) -> None:
        """Forget the token, unless the one rejected was already replaced meanwhile (by
        a concurrent request that saw the same 401): one 401 costs one refresh."""
        if rejected is None or rejected == self._token:
            self._token = None

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                token, lifetime = await self._fetch()
                self._token = token
                self._refresh_at = self._clock() + lifetime * REFRESH_FRACTION
                self.issued += 1
            return self._token

    async def _fetch(self) -> tuple[str, float]:
        raise NotImplementedError

    async def _post(self, url: str, **kwargs: object) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self._client.post(url, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            log.info("auth.token", service=self._service, path=httpx.URL(url).path, status=None)
            raise TransientTenantError(
                f"{self._service} token endpoint unreachable: {type(exc).__name__}",
                service=self._service,
            ) from exc
        log.info(
            "auth.token",
            service=self._service,
            path=httpx.URL(url).path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response

    def _refused(self, response: httpx.Response) -> Exception:
        error = error_for(response, self._service)
        if isinstance(error, TransientTenantError):
            return error
        return AuthenticationError(str(error), status=response.status_code, service=self._service)


class ClientCredentials(_CachedToken):
    """OAuth2 client credentials; ``token_urls`` are tried in order, moving on after a 404."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        token_urls: Sequence[str],
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        service: str = "token",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(client, service, clock)
        if not token_urls:
            raise ValueError("at least one token URL is needed")
        self._urls = list(token_urls)
        self._form = {"grant_type": "client_credentials", "client_id": client_id}
        self._secret = client_secret
        if scope:
            self._form["scope"] = scope

    async def _fetch(self) -> tuple[str, float]:
        for url in self._urls:
            response = await self._post(url, data={**self._form, "client_secret": self._secret})
            if response.status_code == 404 and url != self._urls[-1]:
                continue
            if response.status_code != 200:
                raise self._refused(response)
            body = response.json()
            return str(body["access_token"]), float(body.get("expires_in", FALLBACK_LIFETIME))
        raise AssertionError("unreachable")  # pragma: no cover - the last URL returns or raises


class JamfUserToken(_CachedToken):
    """A Jamf Pro user token from ``POST /api/v1/auth/token`` with Basic credentials."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        username: str,
        password: str,
        *,
        service: str = "jamf-token",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(client, service, clock)
        self._url = base_url.rstrip("/") + "/api/v1/auth/token"
        self._auth = httpx.BasicAuth(username, password)
        self._wall_clock = wall_clock

    async def _fetch(self) -> tuple[str, float]:
        response = await self._post(self._url, auth=self._auth)
        if response.status_code != 200:
            raise self._refused(response)
        body = response.json()
        lifetime = 1200.0
        try:
            expires = datetime.fromisoformat(str(body["expires"]).replace("Z", "+00:00"))
            left = (expires - self._wall_clock()).total_seconds()
            lifetime = left if left > 0 else FALLBACK_LIFETIME
        except (KeyError, ValueError):
            pass
        return str(body["token"]), lifetime
