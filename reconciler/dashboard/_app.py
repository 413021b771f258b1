"""The dashboard's web server: read-only pages rendered on the server (aiohttp + Jinja2).

Pages: ``/`` the intents × rings matrix of every fleet, ``/intent?fleet=…&name=…`` one
intent, ``/cab`` what waits for CAB, ``/healthz``. Everything from Git or a tenant goes
through Jinja2's autoescaping (an intent named ``<script>`` is text); pages carry a
Content-Security-Policy that allows no script at all, and only GET and HEAD are served.

Access is open unless configured: ``token`` requires ``Authorization: Bearer <token>``
(for a reverse proxy or scripted checks); ``user_header`` trusts the identity an
authenticating proxy in front (oauth2-proxy, an ingress with OIDC) puts in that header,
and refuses requests without it — then the dashboard must only be reachable through
that proxy.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
import structlog
from aiohttp import web

from reconciler.dashboard import _views as views
from reconciler.dashboard._sources import FleetSource
from reconciler.domain.errors import EucoraError

log = structlog.get_logger("eucora.dashboard")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True, slots=True)
class Access:
    """Who may read the pages (see the module docstring)."""

    token: str | None = None
    user_header: str | None = None

    def check(self, request: web.Request) -> str | None:
        """The viewer's name when the request may see the pages; raises otherwise."""
        if self.token:
            given = request.headers.get("Authorization", "")
            expected = f"Bearer {self.token}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                raise web.HTTPUnauthorized(
                    text="a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
                )
        if self.user_header:
            user = request.headers.get(self.user_header, "").strip()
            if not user:
                raise web.HTTPForbidden(text=f"no {self.user_header} header from the proxy")
            return user
        return None


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reconciler.dashboard", "templates"),
        autoescape=True,  # every template, whatever its name
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        cells=views.cells,
        denies=views.denies,
        percent=views.percent,
        missing_approvals=views.missing_approvals,
        factor_bars=views.factor_bars,
        audit_details=views.audit_details,
    )
    return env


def create_app(
    source: FleetSource, *, access: Access | None = None, title: str = ""
) -> web.Application:
    """The dashboard as an aiohttp application (run it with :func:`serve`)."""
    env = _environment()
    access = access or Access()
    css = resources.files("reconciler.dashboard").joinpath("static/dashboard.css").read_bytes()

    def page(
        template: str, request: web.Request, status: int = 200, **context: Any
    ) -> web.Response:
        html = env.get_template(template).render(
            title=title or "EUCORA rollouts", viewer=access.check(request), **context
        )
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method not in {"GET", "HEAD"}:
            raise web.HTTPMethodNotAllowed(request.method, ["GET", "HEAD"])
        if request.path != "/healthz":
            access.check(request)
        try:
            response = await handler(request)
        except EucoraError as exc:
            log.warning("dashboard source failed", reason=exc.reason, error=exc.message)
            response = page("error.html.j2", request, 503, message=f"{exc.reason}: {exc.message}")
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    async def matrix(request: web.Request) -> web.Response:
        return page("matrix.html.j2", request, fleets=await source.fleets())

    async def intent(request: web.Request) -> web.Response:
        key, name = request.query.get("fleet", ""), request.query.get("name", "")
        fleet = next((f for f in await source.fleets() if f.key == key), None)
        report = fleet.intent(name) if fleet is not None else None
        if fleet is None or report is None:
            return page("error.html.j2", request, 404, message=f"no intent {name!r} in {key!r}")
        trail = await source.trail(key, name)
        return page("intent.html.j2", request, fleet=fleet, intent=report, trail=trail)

    async def cab(request: web.Request) -> web.Response:
        return page("cab.html.j2", request, queue=views.waiting_for_cab(await source.fleets()))

    async def stylesheet(_: web.Request) -> web.Response:
        return web.Response(body=css, content_type="text/css")

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[guard])
    app.router.add_get("/", matrix)
    app.router.add_get("/intent", intent)
    app.router.add_get("/cab", cab)
    app.router.add_get("/static/dashboard.css", stylesheet)
    app.router.add_get("/healthz", healthz)
    return app


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving ``app``; stop it with ``await runner.cleanup()``."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
