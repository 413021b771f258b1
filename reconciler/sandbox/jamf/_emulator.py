"""The Jamf Pro emulator as the host sees it: the Pro API under ``/api`` (OAuth client
credentials and Basic token endpoints, Bearer tokens) and the Classic API under
``/JSSResource``, each through a route table onto :class:`~._service.JamfService`;
fault bodies in each API's shape (Pro JSON, Classic HTML); the check-in of Jamf-managed
Macs.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from reconciler.sandbox._emulator import (
    FAULT_TEXT,
    Checkin,
    Emulator,
    HostContext,
    RouteTable,
    read_json,
    to_response,
)
from reconciler.sandbox._wire import Reply, jamf_error
from reconciler.sandbox.jamf._classic import CLASSIC_ROUTES, ClassicRequest, classic_not_found
from reconciler.sandbox.jamf._service import JamfService
from reconciler.sandbox.jamf._state import JamfProError

JAMF_TOKEN_SECONDS = 599
BASIC_TOKEN_SECONDS = 1800
OAUTH_TOKEN = re.compile(r"/api(?:/v1)?/oauth/token")
BASIC_TOKEN = re.compile(r"/api/v1/auth/token")
ProHandler = Callable[..., Awaitable[Reply | web.StreamResponse]]
_CLASSIC_UNAUTHORIZED = Reply(
    401,
    "<html><body><p>The request requires user authentication</p></body></html>",
    content_type="text/html;charset=UTF-8",
)


@dataclass(frozen=True)
class JamfAccounts:
    """The API client and the user account the sandbox accepts."""

    client_id: str
    client_secret: str
    username: str
    password: str
    token_seconds: int = JAMF_TOKEN_SECONDS


class JamfEmulator(Emulator):
    name = "jamf"
    prefixes = ("/api/", "/JSSResource/")
    token_paths = (OAUTH_TOKEN, BASIC_TOKEN)
    mdm = "jamf"

    def __init__(self, service: JamfService, context: HostContext, accounts: JamfAccounts) -> None:
        self.service = service
        self.context = context
        self.accounts = accounts
        s = "/api/v1/packages/(?P<pid>[^/]+)"
        inventory = r"/api/(?P<v>v1|v3)/computers-inventory"
        self.pro = RouteTable[ProHandler](
            [
                ("POST", "/api/v1/auth/keep-alive", self._keep_alive),
                ("POST", "/api/v1/auth/invalidate-token", self._invalidate),
                ("GET", "/api/v1/auth", self._whoami),
                ("GET", "/api/v1/jamf-pro-version", self._version),
                ("GET", "/api/v1/packages", self._list_packages),
                ("POST", "/api/v1/packages", self._create_package),
                ("POST", s + "/upload", self._upload_package),
                ("GET", s, self._get_package),
                ("PUT", s, self._put_package),
                ("DELETE", s, self._delete_package),
                ("POST", "/api/v1/cloud-distribution-point/refresh-inventory", self._refresh),
                ("GET", inventory, self._inventory),
                ("GET", inventory + "-detail/(?P<cid>[^/]+)", self._inventory_detail),
                ("GET", "/api/v2/computer-groups/static-groups", self._static_groups),
                ("GET", "/api/v2/computer-groups/smart-groups", self._smart_groups),
                ("GET", r"/api/v2/computer-groups/static-groups/(?P<gid>\d+)", self._static_group),
                ("GET", "/api/v1/categories", self._categories),
            ]
        )

    # ---------------------------------------------------------------- host contract
    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/JSSResource/"):
            return await self._classic(request)
        return await self._pro(request)

    def fault_response(self, request: web.Request, status: int) -> web.StreamResponse:
        code, message = FAULT_TEXT[status]
        if request.path.startswith("/JSSResource"):
            reply = Reply(
                status,
                f"<html><body><p>Error: {message}</p></body></html>",
                content_type="text/html",
            )
        else:
            reply = jamf_error(status, code.upper(), None, message)
        reply.headers.update(self.context.retry_headers(status))
        return to_response(reply)

    def checkin_round(self) -> Checkin:
        plan = self.service.policy_plan()
        return lambda device, moment: self.service.checkin(device, moment, plan)

    # ---------------------------------------------------------------- Pro API
    async def _pro(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/")
        method = request.method
        if OAUTH_TOKEN.fullmatch(path) and method == "POST":
            return await self._oauth(request)
        if BASIC_TOKEN.fullmatch(path) and method == "POST":
            return self._basic(request)
        if not self.context.tokens.valid(request, "jamf"):
            return to_response(jamf_error(401, "INVALID_TOKEN", None, "Unauthorized"))
        found = self.pro.find(method, path)
        if found is None or found.handler is None:
            return to_response(jamf_error(404, "NOT_FOUND", None, f"No endpoint {method} {path}"))
        try:
            answer = await found.handler(request, **found.params)
        except JamfProError as exc:
            return to_response(exc.reply)
        return to_response(answer) if isinstance(answer, Reply) else answer

    async def _oauth(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if form.get("client_id") != self.accounts.client_id or not secrets.compare_digest(
            str(form.get("client_secret", "")), self.accounts.client_secret
        ):
            return web.json_response({"error": "invalid_client"}, status=401)
        seconds = self.accounts.token_seconds
        token = self.context.tokens.issue("jamf", seconds, purpose="jamf-oauth")
        return web.json_response(
            {
                "access_token": token,
                "scope": "api-role:eucora",
                "token_type": "Bearer",
                "expires_in": seconds,
            }
        )

    def _basic(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        try:
            user, _, password = (
                base64.b64decode(header.removeprefix("Basic ").encode()).decode().partition(":")
            )
        except ValueError:
            user, password = "", ""
        if (
            not header.startswith("Basic ")
            or user != self.accounts.username
            or not secrets.compare_digest(password, self.accounts.password)
        ):
            return to_response(jamf_error(401, "INVALID_CREDENTIALS", None, "Unauthorized"))
        token = self.context.tokens.issue("jamf", BASIC_TOKEN_SECONDS, purpose="jamf-basic")
        return web.json_response({"token": token, "expires": _expires(BASIC_TOKEN_SECONDS)})

    async def _keep_alive(self, request: web.Request) -> web.Response:
        self.context.tokens.drop(request)
        token = self.context.tokens.issue("jamf", BASIC_TOKEN_SECONDS, purpose="jamf-basic")
        return web.json_response({"token": token, "expires": _expires(BASIC_TOKEN_SECONDS)})

    async def _invalidate(self, request: web.Request) -> web.Response:
        self.context.tokens.drop(request)
        return web.Response(status=204)

    async def _whoami(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"account": {"username": self.accounts.username, "accessLevel": "FullAccess"}}
        )

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "11.11.0-t1730000000"})

    async def _list_packages(self, request: web.Request) -> Reply:
        return self.service.list_packages(request.query)

    async def _create_package(self, request: web.Request) -> Reply:
        body, error = await _jamf_json(request)
        return error or self.service.create_package(body)

    async def _upload_package(self, request: web.Request, pid: str) -> Reply:
        filename, content = await _multipart_file(request)
        return self.service.upload_package(pid, filename, content)

    async def _get_package(self, request: web.Request, pid: str) -> Reply:
        return self.service.get_package(pid)

    async def _put_package(self, request: web.Request, pid: str) -> Reply:
        body, error = await _jamf_json(request)
        return error or self.service.put_package(pid, body)

    async def _delete_package(self, request: web.Request, pid: str) -> Reply:
        return self.service.delete_package(pid)

    async def _refresh(self, request: web.Request) -> Reply:
        return self.service.refresh_inventory()

    async def _inventory(self, request: web.Request, v: str) -> Reply:
        return _deprecated(self.service.inventory(request.query, v), v)

    async def _inventory_detail(self, request: web.Request, v: str, cid: str) -> Reply:
        return _deprecated(self.service.inventory_detail(cid, v), v)

    async def _static_groups(self, request: web.Request) -> Reply:
        return self.service.static_groups(request.query)

    async def _smart_groups(self, request: web.Request) -> Reply:
        return self.service.smart_groups(request.query)

    async def _static_group(self, request: web.Request, gid: str) -> Reply:
        return self.service.static_group(int(gid))

    async def _categories(self, request: web.Request) -> Reply:
        return self.service.list_categories()

    # ---------------------------------------------------------------- Classic API
    async def _classic(self, request: web.Request) -> web.StreamResponse:
        if not self.context.tokens.valid(request, "jamf"):
            return to_response(_CLASSIC_UNAUTHORIZED)
        method = request.method
        text = (
            (await request.read()).decode("utf-8", "replace") if method in {"POST", "PUT"} else ""
        )
        call = ClassicRequest(
            self.service, text, "application/json" in request.headers.get("Accept", "")
        )
        found = CLASSIC_ROUTES.find(method, request.path.rstrip("/"))
        if found is None or found.handler is None:
            return to_response(classic_not_found())
        try:
            return to_response(found.handler(call, **found.params))
        except JamfProError as exc:
            return to_response(exc.reply)


def _deprecated(reply: Reply, version: str) -> Reply:
    if version == "v1":  # deprecated 2025-06-30; v3 replaces it
        reply.headers["Deprecation"] = "@1751241600"
    return reply


def _expires(seconds: int) -> str:
    return (datetime.now().astimezone() + timedelta(seconds=seconds)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )


async def _jamf_json(request: web.Request) -> tuple[Any, Reply | None]:
    body, readable = await read_json(request)
    if not readable:
        return None, jamf_error(400, "INVALID_FIELD", None, "Request body is not valid JSON")
    return body, None


async def _multipart_file(request: web.Request) -> tuple[str | None, bytes | None]:
    if not request.content_type.startswith("multipart/"):
        return None, None
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            return None, None
        if getattr(part, "name", None) == "file":
            data = await part.read()  # type: ignore[union-attr]
            return part.filename, bytes(data)  # type: ignore[union-attr]
