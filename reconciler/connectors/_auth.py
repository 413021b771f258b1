"""OAuth2 client-credentials tokens, cached and refreshed before they expire.

Entra ID (``/{tenant}/oauth2/v2.0/token`` with ``scope=https://graph.microsoft.com/.default``)
and Jamf Pro (``/api/oauth/token``, falling back to ``/api/v1/oauth/token`` on 404) speak
the same grant. A 401 on an API call invalidates the cached token so that the caller can
retry once with a fresh one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

import httpx

from reconciler.connectors._errors import error_for
from reconciler.domain.errors import AuthenticationError, TransientTenantError

REFRESH_BEFORE = 60.0


class ClientCredentials:
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
        self._client = client
        self._urls = list(token_urls)
        self._form = {"grant_type": "client_credentials", "client_id": client_id}
        self._secret = client_secret
        if scope:
            self._form["scope"] = scope
        self._service = service
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.issued = 0

    def invalidate(self) -> None:
        self._token = None

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or self._clock() >= self._expires_at - REFRESH_BEFORE:
                await self._fetch()
            assert self._token is not None  # noqa: S101 - _fetch sets it or raises
            return self._token

    async def _fetch(self) -> None:
        last: httpx.Response | None = None
        for url in self._urls:
            try:
                response = await self._client.post(
                    url, data={**self._form, "client_secret": self._secret}
                )
            except httpx.HTTPError as exc:
                raise TransientTenantError(
                    f"{self._service} token endpoint unreachable: {type(exc).__name__}",
                    service=self._service,
                ) from exc
            if response.status_code == 404 and url != self._urls[-1]:
                last = response
                continue
            if response.status_code != 200:
                error = error_for(response, self._service)
                if isinstance(error, TransientTenantError):
                    raise error
                raise AuthenticationError(
                    str(error), status=response.status_code, service=self._service
                )
            body = response.json()
            self._token = str(body["access_token"])
            self._expires_at = self._clock() + float(body.get("expires_in", 300))
            self.issued += 1
            return
        raise AuthenticationError(  # pragma: no cover - loop always returns or raises
            f"no token endpoint answered ({last.status_code if last else 'none'})",
            service=self._service,
        )
