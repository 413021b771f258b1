"""Graph's JSON ``$batch``: up to 20 inner requests run in order through the same handlers
as single requests, ``dependsOn`` a failed request answers 424, an inner body without a
``Content-Type`` header is refused, and inner bodies that are not JSON come back
base64-encoded. The caller (the Graph emulator) runs each inner request, so injected
faults and counters apply to inner paths on their own.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from reconciler.sandbox._wire import Reply, graph_error

MAX_BATCH = 20
#: runs one inner request: method, relative URL, body, headers
InnerRunner = Callable[[str, str, Any, dict[str, str]], Reply]


def run_batch(body: Any, run: InnerRunner) -> Reply:
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests:
        return graph_error(400, "BadRequest", "Invalid batch payload: 'requests' is required.")
    if len(requests) > MAX_BATCH:
        return graph_error(
            400, "BadRequest", f"Number of batch requests exceeds the limit of {MAX_BATCH}."
        )
    ids = [str(r.get("id")) for r in requests if isinstance(r, dict)]
    if (
        len(ids) != len(requests)
        or len(set(ids)) != len(ids)
        or any(i in ("", "None") for i in ids)
    ):
        return graph_error(400, "BadRequest", "Each batch request needs a unique 'id'.")
    statuses: dict[str, int] = {}
    responses = []
    for request in requests:
        rid = str(request["id"])
        method = str(request.get("method", "")).upper()
        url = request.get("url")
        depends = request.get("dependsOn") or []
        if not isinstance(url, str) or method not in {"GET", "POST", "PATCH", "PUT", "DELETE"}:
            reply = graph_error(
                400, "BadRequest", "Batch request needs 'method' and a relative 'url'."
            )
        elif any(d not in statuses for d in depends):
            return graph_error(
                400, "BadRequest", f"Request {rid} depends on an unknown or later request."
            )
        elif any(not 200 <= statuses[d] < 300 for d in depends):
            reply = graph_error(424, "FailedDependency", "The request has a failed dependency.")
        elif request.get("body") is not None and not _has_content_type(request):
            reply = graph_error(
                400,
                "BadRequest",
                f"Write request id : {rid} does not contain Content-Type header or body.",
            )
        else:
            reply = run(method, url, request.get("body"), request.get("headers") or {})
        statuses[rid] = reply.status
        headers = {"Content-Type": reply.content_type} | reply.headers
        inner_body = reply.body
        if inner_body is not None and not reply.content_type.startswith("application/json"):
            # Graph base64-encodes inner bodies that are not JSON
            inner_body = base64.b64encode(reply.encoded()).decode()
        responses.append(
            {"id": rid, "status": reply.status, "headers": headers, "body": inner_body}
        )
    return Reply(200, {"responses": responses})


def _has_content_type(request: dict[str, Any]) -> bool:
    headers = request.get("headers")
    return isinstance(headers, dict) and any(
        str(k).lower() == "content-type" and v for k, v in headers.items()
    )
