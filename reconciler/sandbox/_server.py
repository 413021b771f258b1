"""The sandbox tenant: one aiohttp server on 127.0.0.1 serving the Entra token endpoint,
Graph (``/v1.0``, ``/beta``), emulated blob storage, Jamf Pro (``/api``, ``/JSSResource``)
and the ``/_sandbox/`` admin API, plus the simulated fleet and clock.

Use it in-process (``async with Sandbox(...) as sb``) or via ``eucora sandbox serve``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import socket
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from reconciler.domain.tenant import parse_marker
from reconciler.sandbox._faults import FaultInjector, FaultRule, parse_faults
from reconciler.sandbox._fleet import (
    DEFAULT_SUCCESS_RATE,
    SIM_EPOCH,
    Device,
    build_devices,
    checkins_between,
    iso,
    load_rings,
    stable_unit,
)
from reconciler.sandbox._graph import UPLOADABLE, GraphService, Group, split_relative_url
from reconciler.sandbox._jamf import ComputerGroup, JamfProError, JamfService
from reconciler.sandbox._wire import Reply, graph_error, jamf_error

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
GRAPH_TOKEN_SECONDS = 3599
GRAPH_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;"
    "IEEE754Compatible=false;charset=utf-8"
)
JAMF_TOKEN_SECONDS = 599
ALL_DEVICES = "#microsoft.graph.allDevicesAssignmentTarget"
EXCLUDE = "#microsoft.graph.exclusionGroupAssignmentTarget"
INCLUDE = "#microsoft.graph.groupAssignmentTarget"
_GUIDISH = re.compile(r"/(?:[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}|\d+)(?=/|$)")


def path_template(path: str) -> str:
    """Request path with ids folded, so counters group by endpoint."""
    return _GUIDISH.sub("/{id}", path)


class Sandbox:
    """An emulated Intune + Jamf Pro tenant on 127.0.0.1 with a simulated fleet and clock.

    ``async with Sandbox(seed=7) as sb:`` starts it on a free port; credentials are
    generated per instance. ``sb.advance(hours=8)`` moves the simulated clock.
    """

    def __init__(
        self,
        *,
        devices_windows: int = 2000,
        devices_macos: int = 800,
        seed: int = 0,
        fleet: Path | str | None = None,
        faults: str | tuple[FaultRule, ...] | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        page_size: int = 100,
        success_rate: float = DEFAULT_SUCCESS_RATE,
        retry_after_seconds: int = 1,
        jamf_token_seconds: int = JAMF_TOKEN_SECONDS,
        publish_after_reads: int = 2,
        sas_lifetime_minutes: float = 10.0,
        connectivity: Mapping[str, tuple[float, float, float]] | None = None,
        start: datetime | None = None,
    ) -> None:
        self.jamf_token_seconds = jamf_token_seconds
        self.publish_after_reads = publish_after_reads
        self.sas_lifetime = timedelta(minutes=sas_lifetime_minutes)
        self.seed = seed
        #: per ring: shares of online / intermittent / air-gapped devices
        self.connectivity = dict(connectivity or {})
        #: when the simulated clock starts (tests: a fixed instant; the CLI: now)
        self.clock_start = start if start is not None else SIM_EPOCH
        self.host = host
        self.requested_port = port
        self.page_size = page_size
        self.success_rate = success_rate
        self.retry_after_seconds = retry_after_seconds
        self.fleet_path = Path(fleet) if fleet else None
        self.rings = load_rings(self.fleet_path)
        self.device_counts = (devices_windows, devices_macos)
        rules = parse_faults(faults) if isinstance(faults, str) or faults is None else faults
        self.faults = FaultInjector(rules, seed)
        token_rng = secrets.SystemRandom()
        self.tenant_id = str(uuid.UUID(int=token_rng.getrandbits(128), version=4))
        self.client_id = str(uuid.UUID(int=token_rng.getrandbits(128), version=4))
        self.client_secret = secrets.token_urlsafe(30)
        self.jamf_client_id = str(uuid.UUID(int=token_rng.getrandbits(128), version=4))
        self.jamf_client_secret = secrets.token_urlsafe(30)
        self.jamf_username = "sandbox-admin"
        self.jamf_password = secrets.token_urlsafe(18)
        self._tokens: dict[str, tuple[str, float]] = {}
        #: OAuth tokens handed to Jamf API clients (token lifetime tests count them)
        self.jamf_tokens_issued = 0
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.requests: Counter[str] = Counter()
        self.graph_batch_inner = 0
        self.failure_rates: dict[str, float] = {}
        self._build_state()

    # ---------------------------------------------------------------- state
    def _build_state(self) -> None:
        self.clock = self.clock_start
        windows, macos = self.device_counts
        self.devices: list[Device] = build_devices(
            self.rings, windows, macos, self.seed, self.connectivity, epoch=self.clock_start
        )
        self.graph = GraphService(
            self.devices,
            self.now,
            self.page_size,
            self.seed,
            publish_after_reads=self.publish_after_reads,
            sas_lifetime=self.sas_lifetime,
        )
        self.graph.blob_files = {}
        self.jamf = JamfService(self.devices, self.now)
        self.graph.targeting = lambda app_id: self._windows_plan(app_id).get(app_id, ({}, 0.0))[0]
        for ring in self.rings:
            members = [d for d in self.devices if d.ring == ring.name]
            for group_id in ring.intune_group_ids:
                group = Group(
                    group_id,
                    {
                        "id": group_id,
                        "displayName": f"EUCORA ring {ring.name}",
                        "description": f"Devices of ring {ring.name}",
                        "mailEnabled": False,
                        "mailNickname": f"eucora-ring-{ring.name}",
                        "securityEnabled": True,
                        "groupTypes": [],
                        "createdDateTime": iso(self.clock_start),
                        "membershipRule": None,
                        "visibility": None,
                    },
                    [d.object_id for d in members if d.platform == "windows"],
                )
                self.graph.groups[group_id] = group
            for jamf_group in ring.jamf_group_ids:
                self.jamf.groups[jamf_group] = ComputerGroup(
                    jamf_group,
                    f"EUCORA ring {ring.name}",
                    members=[d.jamf_id for d in members if d.platform == "macos"],
                )
        self.requests.clear()
        self.faults.reset()
        if self._runner is not None:
            self.graph.base_url = self.jamf.base_url = self.base_url

    def now(self) -> datetime:
        return self.clock

    # ---------------------------------------------------------------- lifecycle
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

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=1024**3)
        app.router.add_route("*", "/{tail:.*}", self._route)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.requested_port))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.graph.base_url = self.jamf.base_url = self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---------------------------------------------------------------- URLs
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def graph_url(self) -> str:
        """Graph root, the stand-in for ``https://graph.microsoft.com`` (append /v1.0 or /beta)."""
        return self.base_url

    @property
    def graph_v1_url(self) -> str:
        return f"{self.base_url}/v1.0"

    @property
    def graph_beta_url(self) -> str:
        return f"{self.base_url}/beta"

    @property
    def authority_url(self) -> str:
        """Stand-in for ``https://login.microsoftonline.com``."""
        return self.base_url

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/{self.tenant_id}/oauth2/v2.0/token"

    @property
    def jamf_url(self) -> str:
        return self.base_url

    @property
    def admin_url(self) -> str:
        return f"{self.base_url}/_sandbox"

    def connection_info(self) -> dict[str, str]:
        return {
            "graphUrl": self.graph_url,
            "tokenUrl": self.token_url,
            "tenantId": self.tenant_id,
            "clientId": self.client_id,
            "clientSecret": self.client_secret,
            "jamfUrl": self.jamf_url,
            "jamfClientId": self.jamf_client_id,
            "jamfClientSecret": self.jamf_client_secret,
            "jamfUsername": self.jamf_username,
            "jamfPassword": self.jamf_password,
            "adminUrl": self.admin_url,
        }

    # ---------------------------------------------------------------- middleware
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith("/_sandbox"):
            return await handler(request)
        self.requests[f"{request.method} {path_template(path)}"] += 1
        for rule in self.faults.decide(request.method, path):
            if rule.kind == "slow":
                await asyncio.sleep(rule.delay_seconds)
            elif rule.kind == "reset":
                if request.transport is not None:
                    request.transport.abort()
                raise ConnectionResetError("sandbox fault: connection reset")
            elif rule.kind == "token-expiry":
                token = _bearer(request)
                if token is not None:
                    self._tokens.pop(token, None)
            else:
                return self._fault_response(request, int(rule.kind))
        return await handler(request)

    def _fault_response(self, request: web.Request, status: int) -> web.Response:
        codes = {429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}
        messages = {
            429: "Too many requests.",
            500: "An internal server error occurred.",
            503: "The service is temporarily unavailable.",
        }
        headers = {}
        if status in (429, 503):
            headers["Retry-After"] = str(self.retry_after_seconds)
        if request.path.startswith("/api/"):
            reply = jamf_error(status, codes[status].upper(), None, messages[status])
        elif request.path.startswith("/JSSResource"):
            reply = Reply(
                status,
                f"<html><body><p>Error: {messages[status]}</p></body></html>",
                content_type="text/html",
            )
        else:
            reply = graph_error(
                status, codes[status], messages[status], request.headers.get("client-request-id")
            )
        reply.headers.update(headers)
        return (
            self._graph_response(request, reply)
            if request.path.startswith(("/v1.0", "/beta"))
            else _response(reply)
        )

    # ---------------------------------------------------------------- routing
    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/_sandbox/"):
            return await self._admin(request)
        if path.startswith(("/v1.0/", "/beta/")):
            return await self._graph(request)
        if path.startswith("/blob/"):
            return await self._blob(request)
        if re.fullmatch(r"/[^/]+/oauth2/v2\.0/token", path):
            return await self._graph_token(request)
        if path.startswith("/api/"):
            return await self._jamf_pro(request)
        if path.startswith("/JSSResource/"):
            return await self._jamf_classic(request)
        return _response(Reply(404, {"error": "not found"}))

    # ---------------------------------------------------------------- tokens
    def _issue(self, kind: str, seconds: int) -> str:
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (kind, asyncio.get_running_loop().time() + seconds)
        return token

    def _valid(self, request: web.Request, kind: str) -> bool:
        token = _bearer(request)
        if token is None or token not in self._tokens:
            return False
        token_kind, expiry = self._tokens[token]
        return token_kind == kind and asyncio.get_running_loop().time() < expiry

    def revoke_tokens(self) -> None:
        """Make every issued token invalid, as if they had all expired."""
        self._tokens.clear()

    async def _graph_token(self, request: web.Request) -> web.Response:
        tenant = request.path.split("/")[1]
        form = await request.post()

        def error(status: int, code: str, text: str) -> web.Response:
            return web.json_response(
                {
                    "error": code,
                    "error_description": text,
                    "error_codes": [7000215],
                    "timestamp": iso(self.clock),
                    "trace_id": str(uuid.uuid4()),
                    "correlation_id": str(uuid.uuid4()),
                },
                status=status,
            )

        if request.method != "POST":
            return error(
                405, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests."
            )
        if tenant != self.tenant_id:
            return error(400, "invalid_tenant", f"AADSTS90002: Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return error(
                400,
                "unsupported_grant_type",
                "AADSTS70003: The app requested an unsupported grant type.",
            )
        scope = str(form.get("scope", ""))
        if not scope.endswith("/.default"):
            return error(
                400,
                "invalid_scope",
                (
                    "AADSTS1002012: The provided value for scope "
                    "is not valid; use <resource>/.default."
                ),
            )
        if form.get("client_id") != self.client_id:
            return error(
                400,
                "unauthorized_client",
                f"AADSTS700016: Application '{form.get('client_id')!s}' was not found.",
            )
        if not secrets.compare_digest(str(form.get("client_secret", "")), self.client_secret):
            return error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        token = self._issue("graph", GRAPH_TOKEN_SECONDS)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": GRAPH_TOKEN_SECONDS,
                "ext_expires_in": GRAPH_TOKEN_SECONDS,
                "access_token": token,
            }
        )

    # ---------------------------------------------------------------- graph
    def _graph_response(self, request: web.Request, reply: Reply) -> web.Response:
        client_request_id = request.headers.get("client-request-id") or str(uuid.uuid4())
        request_id = str(uuid.uuid4())
        if (
            isinstance(reply.body, dict)
            and "error" in reply.body
            and isinstance(reply.body["error"], dict)
        ):
            inner = reply.body["error"].setdefault("innerError", {})
            inner["request-id"] = request_id
            inner["client-request-id"] = client_request_id
        reply.headers.setdefault("request-id", request_id)
        reply.headers.setdefault("client-request-id", client_request_id)
        if reply.content_type == "application/json" and reply.body is not None:
            reply.content_type = GRAPH_JSON
        return _response(reply)

    async def _graph(self, request: web.Request) -> web.Response:
        version, _, rest = request.path[1:].partition("/")
        if not self._valid(request, "graph"):
            reply = graph_error(
                401, "InvalidAuthenticationToken", "Access token has expired or is not valid."
            )
            reply.headers["WWW-Authenticate"] = (
                'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"'
            )
            return self._graph_response(request, reply)
        body, error = await _json_body(request)
        if error is not None:
            return self._graph_response(request, error)
        path = "/" + rest
        if path == "/$batch" and request.method == "POST":
            reply = self.graph.batch(
                version, body, lambda m, u, b, h: self._batch_inner(version, m, u, b)
            )
            if isinstance(body, dict) and isinstance(body.get("requests"), list):
                # every inner request counts against the limits on its own
                self.graph_batch_inner += len(body["requests"])
        else:
            reply = self.graph.handle(request.method, version, path, dict(request.query), body)
        return self._graph_response(request, reply)

    def _batch_inner(self, version: str, method: str, url: str, body: Any) -> Reply:
        path, query = split_relative_url(url)
        if path.startswith(f"/{version}/"):
            path = path[len(version) + 1 :]
        full = f"/{version}{path}"
        self.requests[f"{method} {path_template(full)} ($batch)"] += 1
        for rule in self.faults.decide(method, full):
            if rule.kind in {"429", "500", "503"}:
                status = int(rule.kind)
                reply = graph_error(
                    status,
                    "TooManyRequests" if status == 429 else "ServiceUnavailable",
                    "Injected fault.",
                )
                if status in (429, 503):
                    reply.headers["Retry-After"] = str(self.retry_after_seconds)
                return reply
        return self.graph.handle(method, version, path, query, body)

    # ---------------------------------------------------------------- blob storage
    async def _blob(self, request: web.Request) -> web.Response:
        file_id = request.path.split("/")[2]
        file = self.graph.blob_files.get(file_id)
        if file is None or request.query.get("sig") != file.signature or file.expires is None:
            return _blob_error(403, "AuthenticationFailed", _AUTH_FAILED, "Signature mismatch.")
        if self.clock >= file.expires:
            detail = (
                "Signature not valid in the specified time frame: "
                f"Start [{_http_date(file.expires - self.sas_lifetime)}] - "
                f"Expiry [{_http_date(file.expires)}] - Current [{_http_date(self.clock)}]"
            )
            return _blob_error(403, "AuthenticationFailed", _AUTH_FAILED, detail)
        if request.method != "PUT":
            return _blob_error(
                405, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb."
            )
        if file.upload_state not in UPLOADABLE:
            return _blob_error(
                403, "AuthenticationFailed", "The SAS URI is not valid in the file's upload state."
            )
        comp = request.query.get("comp")
        data = await request.read()
        headers = {"x-ms-request-id": str(uuid.uuid4()), "x-ms-version": "2019-12-12"}
        if comp == "block":
            block_id = request.query.get("blockid")
            if not block_id:
                return _blob_error(
                    400,
                    "InvalidQueryParameterValue",
                    (
                        "Value for one of the query parameters "
                        "specified in the request URI is invalid."
                    ),
                )
            if request.headers.get("x-ms-blob-type", "BlockBlob") != "BlockBlob":
                return _blob_error(400, "InvalidHeaderValue", "x-ms-blob-type must be BlockBlob.")
            problem = _block_id_problem(block_id, file.blocks)
            if problem is not None:
                return _blob_error(400, *problem)
            file.blocks[block_id] = len(data)
            self.graph.writes += 1
            return web.Response(status=201, headers=headers)
        if comp == "blocklist":
            try:
                root = ET.fromstring(data)  # noqa: S314  (local emulator input)
            except ET.ParseError:
                return _blob_error(
                    400, "InvalidXmlDocument", "XML specified is not syntactically valid."
                )
            ids = [
                (node.text or "").strip()
                for node in root
                if node.tag in {"Latest", "Committed", "Uncommitted"}
            ]
            if root.tag != "BlockList" or not ids or any(i not in file.blocks for i in ids):
                return _blob_error(400, "InvalidBlockList", "The specified block list is invalid.")
            file.committed_bytes = sum(file.blocks[i] for i in ids)
            self.graph.writes += 1
            return web.Response(status=201, headers=headers)
        return _blob_error(400, "InvalidQueryParameterValue", "comp must be block or blocklist.")

    # ---------------------------------------------------------------- jamf pro api
    async def _jamf_pro(self, request: web.Request) -> web.Response:
        path = request.path.rstrip("/")
        method = request.method
        try:
            if path in {"/api/oauth/token", "/api/v1/oauth/token"} and method == "POST":
                return await self._jamf_oauth(request)
            if path == "/api/v1/auth/token" and method == "POST":
                return self._jamf_basic(request)
            if not self._valid(request, "jamf"):
                return _response(jamf_error(401, "INVALID_TOKEN", None, "Unauthorized"))
            if path == "/api/v1/auth/keep-alive" and method == "POST":
                token = _bearer(request)
                if token is not None:
                    self._tokens.pop(token, None)
                new = self._issue("jamf", 1800)
                return web.json_response({"token": new, "expires": _expires(self.clock, 1800)})
            if path == "/api/v1/auth/invalidate-token" and method == "POST":
                token = _bearer(request)
                if token is not None:
                    self._tokens.pop(token, None)
                return web.Response(status=204)
            if path == "/api/v1/auth" and method == "GET":
                return web.json_response(
                    {"account": {"username": self.jamf_username, "accessLevel": "FullAccess"}}
                )
            if path == "/api/v1/jamf-pro-version" and method == "GET":
                return web.json_response({"version": "11.11.0-t1730000000"})
            match = re.fullmatch(r"/api/v1/packages(?:/(?P<id>[^/]+))?(?P<upload>/upload)?", path)
            if match:
                pid = match["id"]
                if pid is None and method == "GET":
                    return _response(self.jamf.list_packages(request.query))
                if pid is None and method == "POST":
                    body, error = await _json_body(request, jamf=True)
                    return _response(error or self.jamf.create_package(body))
                if pid is not None and match["upload"] and method == "POST":
                    filename, content = await _multipart_file(request)
                    return _response(self.jamf.upload_package(pid, filename, content))
                if pid is not None and not match["upload"]:
                    if method == "GET":
                        return _response(self.jamf.get_package(pid))
                    if method == "PUT":
                        body, error = await _json_body(request, jamf=True)
                        return _response(error or self.jamf.put_package(pid, body))
                    if method == "DELETE":
                        return _response(self.jamf.delete_package(pid))
            if path == "/api/v1/cloud-distribution-point/refresh-inventory" and method == "POST":
                return _response(self.jamf.refresh_inventory())
            match = re.fullmatch(
                r"/api/(?P<v>v1|v3)/computers-inventory(?:-detail/(?P<id>[^/]+))?", path
            )
            if match and method == "GET":
                reply = (
                    self.jamf.inventory_detail(match["id"], match["v"])
                    if match["id"]
                    else self.jamf.inventory(request.query, match["v"])
                )
                if match["v"] == "v1":  # deprecated 2025-06-30; v3 replaces it
                    reply.headers["Deprecation"] = "@1751241600"
                return _response(reply)
            if path == "/api/v2/computer-groups/static-groups" and method == "GET":
                return _response(self.jamf.static_groups(request.query))
            if path == "/api/v2/computer-groups/smart-groups" and method == "GET":
                return _response(self.jamf.smart_groups(request.query))
            match = re.fullmatch(r"/api/v2/computer-groups/static-groups/(\d+)", path)
            if match and method == "GET":
                group = self.jamf.groups.get(int(match[1]))
                if group is None or group.is_smart:
                    return _response(
                        jamf_error(404, "INVALID_ID", "id", f"Group {match[1]} not found")
                    )
                return web.json_response(
                    {
                        "id": str(group.id),
                        "name": group.name,
                        "description": None,
                        "siteId": "-1",
                        "assignments": [
                            {"computerId": str(c), "selected": True} for c in group.members
                        ],
                    }
                )
            if path == "/api/v1/categories" and method == "GET":
                items = [
                    {"id": str(k), "name": v, "priority": 9}
                    for k, v in self.jamf.categories.items()
                ]
                return web.json_response({"totalCount": len(items), "results": items})
            return _response(jamf_error(404, "NOT_FOUND", None, f"No endpoint {method} {path}"))
        except JamfProError as exc:
            return _response(exc.reply)

    async def _jamf_oauth(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if form.get("client_id") != self.jamf_client_id or not secrets.compare_digest(
            str(form.get("client_secret", "")), self.jamf_client_secret
        ):
            return web.json_response({"error": "invalid_client"}, status=401)
        token = self._issue("jamf", self.jamf_token_seconds)
        self.jamf_tokens_issued += 1
        return web.json_response(
            {
                "access_token": token,
                "scope": "api-role:eucora",
                "token_type": "Bearer",
                "expires_in": self.jamf_token_seconds,
            }
        )

    def _jamf_basic(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        try:
            user, _, password = (
                base64.b64decode(header.removeprefix("Basic ").encode()).decode().partition(":")
            )
        except ValueError:
            user, password = "", ""
        if (
            not header.startswith("Basic ")
            or user != self.jamf_username
            or not secrets.compare_digest(password, self.jamf_password)
        ):
            return _response(jamf_error(401, "INVALID_CREDENTIALS", None, "Unauthorized"))
        token = self._issue("jamf", 1800)
        return web.json_response({"token": token, "expires": _expires(self.clock, 1800)})

    # ---------------------------------------------------------------- jamf classic
    async def _jamf_classic(self, request: web.Request) -> web.Response:
        if not self._valid(request, "jamf"):
            return _response(
                Reply(
                    401,
                    "<html><body><p>The request requires user authentication</p></body></html>",
                    content_type="text/html;charset=UTF-8",
                )
            )
        path = request.path.rstrip("/")
        method = request.method
        as_json = "application/json" in request.headers.get("Accept", "")
        text = (
            (await request.read()).decode("utf-8", "replace") if method in {"POST", "PUT"} else ""
        )
        try:
            if path == "/JSSResource/computergroups" and method == "GET":
                reply = self.jamf.classic_groups()
                return _response(
                    reply
                    if as_json
                    else _classic_list_xml(
                        "computer_groups", "computer_group", reply.body["computer_groups"]
                    )
                )
            match = re.fullmatch(r"/JSSResource/computergroups/id/(-?\d+)", path)
            if match:
                gid = int(match[1])
                if method == "GET":
                    return _response(
                        self.jamf.classic_group(gid) if as_json else self.jamf.group_xml(gid)
                    )
                if method == "POST":
                    return _response(self.jamf.write_group(gid, text, create=True))
                if method == "PUT":
                    return _response(self.jamf.write_group(gid, text, create=False))
                if method == "DELETE":
                    return _response(self.jamf.delete_group(gid))
            if path == "/JSSResource/packages" and method == "GET":
                items = self.jamf.classic_packages()
                return _response(
                    Reply(200, {"packages": items})
                    if as_json
                    else _classic_list_xml("packages", "package", items)
                )
            if path == "/JSSResource/policies" and method == "GET":
                return _response(self.jamf.classic_policies(as_json))
            match = re.fullmatch(r"/JSSResource/policies/id/(-?\d+)", path)
            if match:
                pid = int(match[1])
                if method == "GET":
                    return _response(self.jamf.policy_reply(pid, as_json))
                if method == "POST":
                    return _response(self.jamf.write_policy(pid, text, create=True))
                if method == "PUT":
                    return _response(self.jamf.write_policy(pid, text, create=False))
                if method == "DELETE":
                    return _response(self.jamf.delete_policy(pid))
            match = re.fullmatch(
                r"/JSSResource/computerhistory/id/(\d+)(?:/subset/PolicyLogs)?", path
            )
            if match and method == "GET":
                return _response(self.jamf.policy_logs(int(match[1]), as_json))
            match = re.fullmatch(r"/JSSResource/computers(?:/id/(\d+))?", path)
            if match and method == "GET":
                return _response(self._classic_computers(match[1], as_json))
        except JamfProError as exc:
            return _response(exc.reply)
        return _response(
            Reply(
                404,
                (
                    "<html><body><p>The server has not found anything "
                    "matching the request URI</p></body></html>"
                ),
                content_type="text/html;charset=UTF-8",
            )
        )

    def _classic_computers(self, cid: str | None, as_json: bool) -> Reply:
        if cid is None:
            items = [{"id": d.jamf_id, "name": d.name} for d in self.jamf.computers.values()]
            return (
                Reply(200, {"computers": items})
                if as_json
                else _classic_list_xml("computers", "computer", items)
            )
        device = self.jamf.computers.get(int(cid))
        if device is None:
            return Reply(
                404, "<html><body><p>Error: Not Found</p></body></html>", content_type="text/html"
            )
        return Reply(
            200,
            {
                "computer": {
                    "general": {
                        "id": device.jamf_id,
                        "name": device.name,
                        "udid": device.udid,
                        "serial_number": device.serial,
                    }
                }
            },
        )

    # ---------------------------------------------------------------- simulation
    def _failure_override(self, *names: str | None) -> float | None:
        for name in names:
            if name and name in self.failure_rates:
                return self.failure_rates[name]
        return None

    def _success_rate(self, *names: str | None) -> float:
        failure = self._failure_override(*names)
        return self.success_rate if failure is None else 1.0 - failure

    def advance(self, hours: float = 0.0, *, minutes: float = 0.0) -> datetime:
        """Move the simulated clock; devices check in and act on what is assigned to them."""
        end = self.clock + timedelta(hours=hours, minutes=minutes)
        if end > self.clock:
            self.graph.publish_pending()
        windows_plan = self._windows_plan()
        mac_plan = self._mac_plan()
        for device in self.devices:
            for moment in checkins_between(device, self.clock, end):
                device.last_checkin = moment
                if device.platform == "windows":
                    self._windows_checkin(device, moment, windows_plan)
                else:
                    self._mac_checkin(device, moment, mac_plan)
        self.clock = end
        return end

    def _windows_plan(self, only: str | None = None) -> dict[str, tuple[dict[str, str], float]]:
        """For each published app: the intent per targeted device object id, and success rate."""
        plan: dict[str, tuple[dict[str, str], float]] = {}
        group_sets = {gid: set(g.members) for gid, g in self.graph.groups.items()}
        all_objects = [d.object_id for d in self.graph.devices]
        for app_id, app in self.graph.apps.items():
            if only is not None and app_id != only:
                continue
            if (
                app.data.get("publishingState") != "published"
                or app.data["@odata.type"] != "#microsoft.graph.win32LobApp"
            ):
                continue
            intents: dict[str, str] = {}
            excluded: set[str] = set()
            for assignment in app.assignments:
                target = assignment["target"]
                intent = assignment["intent"]
                if intent not in {"required", "uninstall"}:
                    continue
                if target["@odata.type"] == EXCLUDE:
                    excluded |= group_sets.get(target.get("groupId", ""), set())
                    continue
                members = (
                    all_objects
                    if target["@odata.type"] == ALL_DEVICES
                    else group_sets.get(target.get("groupId", ""), set())
                )
                for member in members:
                    # Uninstall wins over required when a device is targeted by both, as in Intune.
                    if intents.get(member) != "uninstall":
                        intents[member] = intent
            for member in excluded:
                intents.pop(member, None)
            marker = parse_marker(app.data.get("notes"))
            rate = self._success_rate(
                app.data.get("displayName"), marker.intent if marker else None, app_id
            )
            plan[app_id] = (intents, rate)
        return plan

    def _windows_checkin(
        self, device: Device, moment: datetime, plan: dict[str, tuple[dict[str, str], float]]
    ) -> None:
        for app_id, (intents, rate) in plan.items():
            intent = intents.get(device.object_id)
            if intent is None:
                continue
            state = device.app_states.get(app_id, ("", "", moment))[0]
            if intent == "required" and state != "installed":
                attempt = device.attempts.get(app_id, 0)
                if attempt >= 3:
                    continue
                device.attempts[app_id] = attempt + 1
                # a broken build fails on the same devices at every retry, as real ones do
                ok = stable_unit(self.seed, device.name, app_id, "install") < rate
                device.app_states[app_id] = (
                    ("installed", "0x0", moment) if ok else ("failed", "0x87D1041C", moment)
                )
            elif intent == "uninstall" and state in {"installed", "uninstallFailed"}:
                ok = (
                    stable_unit(self.seed, device.name, app_id, "uninstall", moment.isoformat())
                    < rate
                )
                device.app_states[app_id] = (
                    ("notInstalled", "0x0", moment)
                    if ok
                    else ("uninstallFailed", "0x87D1041C", moment)
                )
                device.attempts.pop(app_id, None)

    def _mac_plan(self) -> list[tuple[int, str, set[int], list[tuple[int, str]], float, str]]:
        plan = []
        group_sets = {gid: set(g.members) for gid, g in self.jamf.groups.items()}
        for policy in self.jamf.policies.values():
            if not policy.enabled:
                continue
            if policy.all_computers():
                scope = set(self.jamf.computers)
            else:
                scope = set().union(*(group_sets.get(g, set()) for g in policy.group_ids()))
            for gid in policy.excluded_group_ids():
                scope -= group_sets.get(gid, set())
            packages = [
                (pid, action) for pid, action in policy.packages() if pid in self.jamf.packages
            ]
            names: list[str | None] = [policy.name, policy.text("general/category/name")]
            marker = parse_marker(policy.text("general/notes")) or parse_marker(
                policy.text("general/category/name")
            )
            for pid, _ in packages:
                package = self.jamf.packages[pid]
                names += [
                    package.get("packageName"),
                    (parse_marker(package.get("notes")) or marker or _NoMarker).intent,
                ]
            if marker:
                names.append(marker.intent)
            rate = self._success_rate(*names)
            frequency = policy.text("general/frequency", "Once per computer")
            plan.append((policy.id, policy.name, scope, packages, rate, frequency))
        return plan

    def _mac_checkin(
        self,
        device: Device,
        moment: datetime,
        plan: list[tuple[int, str, set[int], list[tuple[int, str]], float, str]],
    ) -> None:
        for policy_id, name, scope, packages, rate, frequency in plan:
            if device.jamf_id not in scope:
                continue
            key = f"policy:{policy_id}"
            state = device.app_states.get(key, ("", "", moment))[0]
            if frequency != "Ongoing" and state == "installed":
                continue
            attempt = device.attempts.get(key, 0)
            if state == "failed" and attempt >= 3:
                continue
            device.attempts[key] = attempt + 1
            ok = stable_unit(self.seed, device.name, key) < rate
            device.app_states[key] = ("installed" if ok else "failed", "", moment)
            if ok:
                for pid, action in packages:
                    package = self.jamf.packages[pid]
                    stem = re.sub(r"\.(pkg|dmg|mpkg)$", "", str(package["fileName"]))
                    bare = str(package["packageName"]).removesuffix(".pkg").removesuffix(".dmg")
                    app_name = f"{bare}.app"
                    if action.lower() == "uninstall":
                        device.applications.pop(app_name, None)
                        device.app_states.pop(f"pkg:{pid}", None)
                    else:
                        version_match = re.search(r"(\d+(?:\.\d+)+)", stem)
                        device.applications[app_name] = {
                            "name": app_name,
                            "path": f"/Applications/{app_name}",
                            "version": version_match.group(1) if version_match else "1.0",
                            "macAppStore": False,
                            "sizeMegabytes": max(1, int(package.get("size") or 0) // 1_000_000),
                            "bundleId": f"com.sandbox.{re.sub(r'[^A-Za-z0-9]+', '', stem).lower()}",
                            "updateAvailable": False,
                            "externalVersionId": None,
                        }
                        device.app_states[f"pkg:{pid}"] = ("installed", "", moment)
            epoch_ms = int(moment.timestamp() * 1000)
            device.policy_logs.append(
                {
                    "policy_id": policy_id,
                    "policy_name": name,
                    "username": "",
                    "date_completed": moment.strftime("%Y/%m/%d at %-I:%M %p"),
                    "date_completed_epoch": epoch_ms,
                    "date_completed_utc": moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                    "status": "Completed" if ok else "Failed",
                }
            )

    # ---------------------------------------------------------------- drift helpers
    def add_all_devices_assignment(self, app_id: str, intent: str = "required") -> None:
        app = self.graph.apps[app_id]
        app.assignments.append(
            {
                "@odata.type": "#microsoft.graph.mobileAppAssignment",
                "id": f"adadadad-808e-44e2-905a-0b7873a8a531_{len(app.assignments)}_0",
                "intent": intent,
                "target": {
                    "@odata.type": ALL_DEVICES,
                    "deviceAndAppManagementAssignmentFilterId": None,
                    "deviceAndAppManagementAssignmentFilterType": "none",
                },
                "settings": None,
            }
        )
        app.data["isAssigned"] = True

    def edit_install_command(self, app_id: str, command: str) -> None:
        self.graph.apps[app_id].data["installCommandLine"] = command
        self.graph.apps[app_id].data["lastModifiedDateTime"] = iso(self.clock)

    def disable_jamf_policy(self, policy_id: int) -> None:
        policy = self.jamf.policy(policy_id)
        node = policy.xml.find("general/enabled")
        if node is None:
            general = policy.xml.find("general")
            if general is None:
                general = ET.SubElement(policy.xml, "general")
            node = ET.SubElement(general, "enabled")
        node.text = "false"

    def delete_app(self, app_id: str) -> None:
        self.graph.apps.pop(app_id)

    def set_failure_rate(self, name: str, rate: float) -> None:
        """Make installs of the app/package/policy with this display name, package name,
        policy name or ownership-marker intent fail at ``rate`` (a "bad build")."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self.failure_rates[name] = rate

    def counters(self) -> dict[str, Any]:
        writes = sum(
            v
            for k, v in self.requests.items()
            if k.split(" ", 1)[0] in {"POST", "PUT", "PATCH", "DELETE"}
        )
        return {
            "requests": dict(sorted(self.requests.items())),
            "total": sum(self.requests.values()),
            "writes": writes,
            "stateWrites": {"graph": self.graph.writes, "jamf": self.jamf.writes},
            "faultsInjected": dict(self.faults.injected),
            "graphBatchInner": self.graph_batch_inner,
        }

    def reset_counters(self) -> None:
        self.requests.clear()
        self.graph_batch_inner = 0
        self.faults.reset()
        self.graph.writes = self.jamf.writes = 0

    def reset(self) -> None:
        """Back to the freshly seeded tenant (same credentials and URLs)."""
        self.failure_rates.clear()
        self._build_state()
        self.graph.base_url = self.jamf.base_url = self.base_url

    # ---------------------------------------------------------------- admin API
    async def _admin(self, request: web.Request) -> web.Response:
        action = request.path.removeprefix("/_sandbox/").rstrip("/")
        body: dict[str, Any] = {}
        if request.method == "POST" and request.can_read_body:
            try:
                body = await request.json()
            except json.JSONDecodeError:
                return web.json_response({"error": "body must be JSON"}, status=400)
        try:
            if action == "info" and request.method == "GET":
                return web.json_response(self.connection_info() | {"clock": iso(self.clock)})
            if action == "clock" and request.method == "GET":
                return web.json_response({"now": iso(self.clock)})
            if action == "clock/advance" and request.method == "POST":
                end = self.advance(
                    hours=float(body.get("hours", 0)), minutes=float(body.get("minutes", 0))
                )
                return web.json_response({"now": iso(end)})
            if action == "counters" and request.method == "GET":
                return web.json_response(self.counters())
            if action == "counters/reset" and request.method == "POST":
                self.reset_counters()
                return web.json_response({"ok": True})
            if action == "reset" and request.method == "POST":
                self.reset()
                return web.json_response({"ok": True})
            if action == "drift/assign-all-devices" and request.method == "POST":
                self.add_all_devices_assignment(
                    str(body["appId"]), str(body.get("intent", "required"))
                )
            elif action == "drift/install-command" and request.method == "POST":
                self.edit_install_command(str(body["appId"]), str(body["installCommandLine"]))
            elif action == "drift/disable-policy" and request.method == "POST":
                self.disable_jamf_policy(int(body["policyId"]))
            elif action == "drift/delete-app" and request.method == "POST":
                self.delete_app(str(body["appId"]))
            elif action == "failure-rate" and request.method == "POST":
                self.set_failure_rate(str(body["name"]), float(body["rate"]))
            else:
                return web.json_response(
                    {"error": f"unknown admin call {request.method} {action}"}, status=404
                )
        except (KeyError, JamfProError) as exc:
            return web.json_response({"error": f"not found or missing field: {exc}"}, status=404)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"ok": True})


class _NoMarker:
    intent = None


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _response(reply: Reply) -> web.Response:
    headers = dict(reply.headers)
    if reply.body is None:
        return web.Response(status=reply.status, headers=headers)
    headers["Content-Type"] = reply.content_type
    return web.Response(status=reply.status, body=reply.encoded(), headers=headers)


_AUTH_FAILED = (
    "Server failed to authenticate the request. Make sure the value of Authorization header "
    "is formed correctly including the signature."
)


def _http_date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def _block_id_problem(block_id: str, blocks: dict[str, int]) -> tuple[str, str] | None:
    """Azure's Put Block: the id is Base64, and every id of one blob has the same length."""
    try:
        base64.b64decode(block_id, validate=True)
    except ValueError:
        return (
            "InvalidQueryParameterValue",
            "Value for one of the query parameters specified in the request URI is invalid.",
        )
    if blocks and any(len(known) != len(block_id) for known in blocks):
        return ("InvalidBlobOrBlock", "The specified blob or block content is invalid.")
    return None


def _blob_error(status: int, code: str, message: str, detail: str | None = None) -> web.Response:
    extra = f"<AuthenticationErrorDetail>{detail}</AuthenticationErrorDetail>" if detail else ""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Error><Code>{code}</Code><Message>{message}\nRequestId:{uuid.uuid4()}\n"
        f"Time:{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S.%f0Z')}</Message>{extra}</Error>"
    )
    return web.Response(
        status=status,
        body=body.encode(),
        headers={"Content-Type": "application/xml", "x-ms-error-code": code},
    )


def _classic_list_xml(root_tag: str, item_tag: str, items: list[dict[str, Any]]) -> Reply:
    root = ET.Element(root_tag)
    ET.SubElement(root, "size").text = str(len(items))
    for item in items:
        node = ET.SubElement(root, item_tag)
        for key, value in item.items():
            ET.SubElement(node, key).text = (
                str(value).lower() if isinstance(value, bool) else str(value)
            )
    return Reply(
        200,
        '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode"),
        content_type="text/xml;charset=UTF-8",
    )


def _expires(now: datetime, seconds: int) -> str:
    return (datetime.now().astimezone() + timedelta(seconds=seconds)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )


async def _json_body(request: web.Request, *, jamf: bool = False) -> tuple[Any, Reply | None]:
    if request.method not in {"POST", "PATCH", "PUT"} or not request.can_read_body:
        return None, None
    raw = await request.read()
    if not raw.strip():
        return None, None
    try:
        return json.loads(raw), None
    except (json.JSONDecodeError, UnicodeDecodeError):
        if jamf:
            return None, jamf_error(400, "INVALID_FIELD", None, "Request body is not valid JSON")
        return None, graph_error(
            400,
            "BadRequest",
            (
                "Unable to read JSON request payload. Please ensure Content-Type "
                "header is set and payload is of valid JSON format."
            ),
        )


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
