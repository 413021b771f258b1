"""Wire helpers shared by the emulated services: responses as plain values, error bodies.

The emulators answer with :class:`Reply` values so that Graph's ``$batch`` can run inner
requests through the very same handlers that serve single requests.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON value, or str/bytes with an explicit content type
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


def graph_error(
    status: int, code: str, message: str, client_request_id: str | None = None
) -> Reply:
    request_id = str(uuid.uuid4())
    return Reply(
        status,
        {
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": request_id,
                    "client-request-id": client_request_id or request_id,
                },
            }
        },
    )


def jamf_error(status: int, code: str, field_name: str | None, description: str) -> Reply:
    return Reply(
        status,
        {
            "httpStatus": status,
            "errors": [{"code": code, "field": field_name, "description": description, "id": "0"}],
        },
    )


def classic_error(status: int, message: str) -> Reply:
    reason = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict"}.get(
        status, "Error"
    )
    html = (
        "<html>\n<head>\n<title>Status page</title>\n</head>\n"
        '<body style="font-family:sans-serif">\n'
        '<p style="font-size:1.2em;font-weight:bold;margin:1em 0px">'
        f"{reason}</p>\n"
        f"<p>Error: {message}</p>\n"
        '<p>You can get technical details <a href="http://www.w3.org/Protocols/rfc2616/'
        f'rfc2616-sec10.html#sec10.4">here</a>.<br>\n</p>\n</body>\n</html>\n'
    )
    return Reply(status, html, content_type="text/html;charset=UTF-8")
