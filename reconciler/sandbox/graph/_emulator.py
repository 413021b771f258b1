"""The Graph emulator as the host sees it: prefixes ``/v1.0`` and ``/beta`` plus the Entra
token endpoint, Bearer authentication, Graph's response headers (``request-id``,
``client-request-id``, the OData JSON content type) and error bodies, ``$batch`` with
faults applied to each inner request, and the check-in of Intune-managed devices.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from reconciler.sandbox._emulator import (
    FAULT_TEXT,
    Checkin,
    Emulator,
    HostContext,
    path_template,
    read_json,
    to_response,
)
from reconciler.sandbox._wire import Reply, graph_error
from reconciler.sandbox.graph._batch import run_batch
from reconciler.sandbox.graph._entra import TOKEN_PATH, EntraApp, token_endpoint
from reconciler.sandbox.graph._service import GraphService
from reconciler.sandbox.graph._state import split_relative_url

GRAPH_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;"
    "IEEE754Compatible=false;charset=utf-8"
)
_UNREADABLE = (
    "Unable to read JSON request payload. Please ensure Content-Type "
    "header is set and payload is of valid JSON format."
)


class GraphEmulator(Emulator):
    name = "graph"
    prefixes = ("/v1.0/", "/beta/")
    token_paths = (TOKEN_PATH,)
    mdm = "intune"

    def __init__(self, service: GraphService, context: HostContext, app: EntraApp) -> None:
        self.service = service
        self.context = context
        self.app = app
        #: requests that arrived inside ``$batch`` calls
        self.batch_inner = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if TOKEN_PATH.fullmatch(request.path):
            return await token_endpoint(request, self.app, self.context)
        version, _, rest = request.path[1:].partition("/")
        if not self.context.tokens.valid(request, "graph"):
            reply = graph_error(
                401, "InvalidAuthenticationToken", "Access token has expired or is not valid."
            )
            reply.headers["WWW-Authenticate"] = (
                'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"'
            )
            return self._respond(request, reply)
        body, readable = await read_json(request)
        if not readable:
            return self._respond(request, graph_error(400, "BadRequest", _UNREADABLE))
        path = "/" + rest
        if path == "/$batch" and request.method == "POST":
            reply = run_batch(body, lambda m, u, b, h: self._batch_inner(version, m, u, b))
            if isinstance(body, dict) and isinstance(body.get("requests"), list):
                # every inner request counts against the limits on its own
                self.batch_inner += len(body["requests"])
        else:
            reply = self.service.handle(request.method, version, path, dict(request.query), body)
        return self._respond(request, reply)

    def fault_response(self, request: web.Request, status: int) -> web.StreamResponse:
        code, message = FAULT_TEXT[status]
        reply = graph_error(status, code, message, request.headers.get("client-request-id"))
        reply.headers.update(self.context.retry_headers(status))
        if request.path.startswith(self.prefixes):
            return self._respond(request, reply)
        return to_response(reply)  # the token endpoint

    def time_passes(self) -> None:
        self.service.publish_pending()

    def checkin_round(self) -> Checkin:
        plan = self.service.install_plan()
        return lambda device, moment: self.service.checkin(device, moment, plan)

    def _batch_inner(self, version: str, method: str, url: str, body: Any) -> Reply:
        path, query = split_relative_url(url)
        if path.startswith(f"/{version}/"):
            path = path[len(version) + 1 :]
        full = f"/{version}{path}"
        self.context.requests[f"{method} {path_template(full)} ($batch)"] += 1
        for rule in self.context.faults.decide(method, full):
            if rule.kind in {"429", "500", "503"}:
                status = int(rule.kind)
                reply = graph_error(
                    status,
                    "TooManyRequests" if status == 429 else "ServiceUnavailable",
                    "Injected fault.",
                )
                reply.headers.update(self.context.retry_headers(status))
                return reply
        return self.service.handle(method, version, path, query, body)

    def _respond(self, request: web.Request, reply: Reply) -> web.Response:
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
        return to_response(reply)
