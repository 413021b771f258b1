"""Bearer tokens the sandbox's emulated identity endpoints hand out.

Shared state under the emulators: Entra (for Graph) and Jamf Pro issue tokens here and
check the ``Authorization`` header of every request against them; the host's
``token-expiry`` fault and ``Sandbox.revoke_tokens()`` drop them. Tokens expire in real
(wall-clock, event-loop) time, as clients' own caches do.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter

from aiohttp import web


class TokenStore:
    """Issued tokens by value: what kind (``graph``, ``jamf``) and when each expires."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, float]] = {}
        #: tokens issued per purpose (e.g. ``jamf-oauth``), for lifetime tests
        self.issued: Counter[str] = Counter()

    def issue(self, kind: str, seconds: int, purpose: str | None = None) -> str:
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (kind, asyncio.get_running_loop().time() + seconds)
        self.issued[purpose or kind] += 1
        return token

    def valid(self, request: web.Request, kind: str) -> bool:
        """Whether the request carries an unexpired bearer token of this kind."""
        token = bearer(request)
        if token is None or token not in self._tokens:
            return False
        token_kind, expiry = self._tokens[token]
        return token_kind == kind and asyncio.get_running_loop().time() < expiry

    def drop(self, request: web.Request) -> None:
        """Forget the request's bearer token (logout, keep-alive, token-expiry fault)."""
        token = bearer(request)
        if token is not None:
            self._tokens.pop(token, None)

    def clear(self) -> None:
        self._tokens.clear()


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None
