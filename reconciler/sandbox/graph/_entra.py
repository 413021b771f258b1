"""The Entra ID token endpoint the Graph emulator serves: ``POST
/{tenant}/oauth2/v2.0/token`` with the client-credentials grant and a ``…/.default``
scope, answering ``{token_type, expires_in, ext_expires_in, access_token}`` or Entra's
``{error, error_description, error_codes, …}`` (401 ``invalid_client`` for a wrong
secret). Tokens go into the host's :class:`~.._tokens.TokenStore` as kind ``graph``.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from aiohttp import web

from reconciler.sandbox._emulator import HostContext
from reconciler.sandbox._fleet import iso

GRAPH_TOKEN_SECONDS = 3599
TOKEN_PATH = re.compile(r"/[^/]+/oauth2/v2\.0/token")


@dataclass(frozen=True)
class EntraApp:
    """The tenant and the app registration whose client secret the sandbox accepts."""

    tenant_id: str
    client_id: str
    client_secret: str


async def token_endpoint(request: web.Request, app: EntraApp, context: HostContext) -> web.Response:
    tenant = request.path.split("/")[1]
    form = await request.post()

    def error(status: int, code: str, text: str) -> web.Response:
        return web.json_response(
            {
                "error": code,
                "error_description": text,
                "error_codes": [7000215],
                "timestamp": iso(context.now()),
                "trace_id": str(uuid.uuid4()),
                "correlation_id": str(uuid.uuid4()),
            },
            status=status,
        )

    if request.method != "POST":
        return error(
            405, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests."
        )
    if tenant != app.tenant_id:
        return error(400, "invalid_tenant", f"AADSTS90002: Tenant '{tenant}' not found.")
    if form.get("grant_type") != "client_credentials":
        return error(
            400,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type.",
        )
    if not str(form.get("scope", "")).endswith("/.default"):
        return error(
            400,
            "invalid_scope",
            "AADSTS1002012: The provided value for scope is not valid; use <resource>/.default.",
        )
    if form.get("client_id") != app.client_id:
        return error(
            400,
            "unauthorized_client",
            f"AADSTS700016: Application '{form.get('client_id')!s}' was not found.",
        )
    if not secrets.compare_digest(str(form.get("client_secret", "")), app.client_secret):
        return error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
    token = context.tokens.issue("graph", GRAPH_TOKEN_SECONDS)
    return web.json_response(
        {
            "token_type": "Bearer",
            "expires_in": GRAPH_TOKEN_SECONDS,
            "ext_expires_in": GRAPH_TOKEN_SECONDS,
            "access_token": token,
        }
    )
