"""What the sandbox host and its emulators share: the contract an emulator fulfils, the
host services it is handed, and the plumbing between ``Reply`` values and aiohttp.

An emulator (Graph with its Entra token endpoint, Jamf Pro with Classic, blob storage)
says which path prefixes and token endpoints it serves, answers requests, shapes the
error body of an injected fault the way its service would, and, when it is an MDM, runs
the check-ins of the devices it manages. The host (:mod:`._server`) owns lifecycle,
fault middleware, clock, admin API and dispatch; it hands each emulator a
:class:`HostContext` instead of itself, so no emulator imports the host.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from aiohttp import web

from reconciler.sandbox._faults import FaultInjector
from reconciler.sandbox._fleet import Device
from reconciler.sandbox._tokens import TokenStore
from reconciler.sandbox._wire import Reply

H = TypeVar("H")
#: what an MDM emulator does for one device at one check-in instant
Checkin = Callable[[Device, datetime], None]
FAULT_TEXT = {
    429: ("TooManyRequests", "Too many requests."),
    500: ("InternalServerError", "An internal server error occurred."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
}
_GUIDISH = re.compile(r"/(?:[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}|\d+)(?=/|$)")


def path_template(path: str) -> str:
    """Request path with ids folded, so counters group by endpoint."""
    return _GUIDISH.sub("/{id}", path)


@dataclass
class Outcomes:
    """Whether installs succeed: the tenant's success rate, overridden per name (a "bad
    build" named by app display name, package, policy or ownership-marker intent)."""

    seed: int
    success_rate: float
    failure_rates: dict[str, float] = field(default_factory=dict)

    def rate(self, *names: str | None) -> float:
        for name in names:
            if name and name in self.failure_rates:
                return 1.0 - self.failure_rates[name]
        return self.success_rate


@dataclass
class HostContext:
    """The host services an emulator receives: clock, counters, faults, tokens, outcomes."""

    now: Callable[[], datetime]
    requests: Counter[str]
    faults: FaultInjector
    tokens: TokenStore
    outcomes: Outcomes
    retry_after_seconds: int = 1

    def retry_headers(self, status: int) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)} if status in (429, 503) else {}


class Emulator:
    """One emulated service. Subclasses set ``prefixes`` (and ``token_paths`` for token
    endpoints outside them) and implement :meth:`handle` and :meth:`fault_response`; an
    MDM also names the devices it manages (``mdm``, matched against ``Device.mdm``)."""

    name = ""
    prefixes: tuple[str, ...] = ()
    token_paths: tuple[re.Pattern[str], ...] = ()
    #: devices whose ``mdm`` is this check in here; None for services without devices
    mdm: str | None = None

    def serves(self, path: str) -> bool:
        return path.startswith(self.prefixes) or any(p.fullmatch(path) for p in self.token_paths)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    def fault_response(self, request: web.Request, status: int) -> web.StreamResponse:
        """The answer of an injected 429/500/503, in the service's own error shape."""
        raise NotImplementedError

    def time_passes(self) -> None:
        """The simulated clock moved forward (before the check-ins it causes)."""

    def checkin_round(self) -> Checkin | None:
        """What a device managed here does at a check-in, planned once per clock advance."""
        return None


@dataclass(frozen=True)
class Found(Generic[H]):
    handler: H | None  # None: the path is known, the method is not
    params: dict[str, str]


class RouteTable(Generic[H]):
    """``(method, path regex, handler)`` entries, matched in order on the whole path."""

    def __init__(self, routes: list[tuple[str, str, H]]) -> None:
        self.routes = [(verb, re.compile(pattern), handler) for verb, pattern, handler in routes]

    def find(self, method: str, path: str) -> Found[H] | None:
        known = False
        for verb, pattern, handler in self.routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if verb == method:
                return Found(handler, match.groupdict())
            known = True
        return Found(None, {}) if known else None


def to_response(reply: Reply) -> web.Response:
    headers = dict(reply.headers)
    if reply.body is None:
        return web.Response(status=reply.status, headers=headers)
    headers["Content-Type"] = reply.content_type
    return web.Response(status=reply.status, body=reply.encoded(), headers=headers)


async def read_json(request: web.Request) -> tuple[Any, bool]:
    """The request's JSON body (None when there is none) and whether it parsed."""
    if request.method not in {"POST", "PATCH", "PUT"} or not request.can_read_body:
        return None, True
    raw = await request.read()
    if not raw.strip():
        return None, True
    try:
        return json.loads(raw), True
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, False
