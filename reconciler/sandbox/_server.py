"""The sandbox as a server: run in-process (tests, demo) or from ``eucora sandbox serve``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType

from aiohttp import web

from reconciler.sandbox._admin import add_admin_routes
from reconciler.sandbox._faults import FaultPlan, parse_faults
from reconciler.sandbox._fleet import WindowsFleet
from reconciler.sandbox._graph import GraphCore, GraphState, add_routes

DEFAULT_RING_GROUPS: tuple[tuple[str, float], ...] = (
    ("3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01", 60),
    ("3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b02", 140),
    ("3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b03", 420),
    ("3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b04", 980),
    ("3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b05", 1200),
)


class Sandbox:
    """``async with Sandbox() as sb:`` binds 127.0.0.1 on a free port and serves Graph."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        devices_windows: int = 2000,
        ring_groups: Sequence[tuple[str, float]] = DEFAULT_RING_GROUPS,
        faults: str = "",
    ) -> None:
        self.host = host
        self.port = port
        self.graph = GraphState(fleet=WindowsFleet.spread(seed, devices_windows, ring_groups))
        self.faults = FaultPlan(parse_faults(faults), seed)
        self._core = GraphCore(self.graph, lambda: self.base_url)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/v1.0"

    @property
    def admin_url(self) -> str:
        return f"{self.base_url}/_sandbox"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/{self.graph.tenant_id}/oauth2/v2.0/token"

    def advance(self, hours: float) -> int:
        """Move simulated time; devices check in and install. Returns the check-ins."""
        return self.graph.fleet.advance(hours, self.graph.apps, self.graph.assignments)

    def set_success_rate(self, display_name: str, probability: float) -> None:
        """Make builds whose display name contains ``display_name`` succeed this often."""
        self.graph.fleet.success_by_name[display_name] = probability

    def connection_info(self) -> dict[str, str]:
        return {
            "graphUrl": self.graph_url,
            "tokenUrl": self.token_url,
            "tenantId": self.graph.tenant_id,
            "clientId": self.graph.client_id,
            "clientSecret": self.graph.client_secret,
            "adminUrl": self.admin_url,
        }

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[self._inject_faults])
        add_routes(app, self._core)
        add_admin_routes(app, self)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None and server.sockets:  # type: ignore[attr-defined]
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    @web.middleware
    async def _inject_faults(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if request.path.startswith("/_sandbox") or request.path.endswith("/oauth2/v2.0/token"):
            return await handler(request)
        fault = self.faults.pick(request.path)
        if fault is None:
            return await handler(request)
        if fault.kind == "slow":
            await asyncio.sleep(fault.arg if fault.arg is not None else 2.0)
            return await handler(request)
        if fault.kind == "reset":
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        if fault.kind == "token-expiry":
            token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            self.graph.tokens.pop(token, None)
            return await handler(request)
        status = int(fault.kind)
        headers = {
            "request-id": "fault",
            "client-request-id": request.headers.get("client-request-id", ""),
        }
        if status in (429, 503):
            headers["Retry-After"] = str(int(fault.arg if fault.arg is not None else 1))
        code = {429: "TooManyRequests", 503: "ServiceUnavailable"}.get(
            status, "InternalServerError"
        )
        body = {
            "error": {
                "code": code,
                "message": "injected fault",
                "innerError": {"request-id": "fault"},
            }
        }
        return web.json_response(body, status=status, headers=headers)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
