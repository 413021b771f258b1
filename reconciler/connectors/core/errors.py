"""Maps failed HTTP answers of Graph and Jamf Pro into the one exception tree.

Understands Graph's ``{"error": {"code", "message", "innerError"}}`` (including Intune's
habit of putting a JSON document inside ``message``), the Jamf Pro API's
``{"httpStatus", "errors": [{"code", "field", "description"}]}`` and the Classic API's HTML
error pages (``<p>Error: Duplicate name</p>``). The Classic API answers 409 for every
payload it refuses, so only a duplicate there is a :class:`ConflictError`; the rest are
:class:`RequestRejectedError`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from reconciler.domain.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermanentTenantError,
    RequestRejectedError,
    TenantError,
    TransientTenantError,
)

TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_HTML_ERROR = re.compile(r"<p>\s*(Error[^<]*)</p>", re.I)
_TAGS = re.compile(r"<[^>]+>")
MAX_RETRY_AFTER = 120.0


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), capped."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def describe(response: httpx.Response) -> tuple[str, str, str]:
    """(code, message, request id) of an error answer, whatever its body shape."""
    request_id = response.headers.get("request-id", "")
    try:
        body: Any = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        message = str(error.get("message", ""))
        inner = error.get("innerError") or error.get("innererror") or {}
        request_id = request_id or str(inner.get("request-id", ""))
        return str(error.get("code", "")), _intune_message(message), request_id
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        first = body["errors"][0]
        field = f" ({first.get('field')})" if first.get("field") else ""
        messages = "; ".join(
            f"{e.get('code', '')}{' ' + str(e['field']) if e.get('field') else ''}: "
            f"{e.get('description', '')}"
            for e in body["errors"]
            if isinstance(e, dict)
        )
        return str(first.get("code", "")) + field, messages, request_id
    if isinstance(body, dict) and ("error" in body or "error_description" in body):
        return str(body.get("error", "")), str(body.get("error_description", "")), request_id
    text = response.text
    match = _HTML_ERROR.search(text)
    if match:
        return "", match[1].strip(), request_id
    plain = " ".join(_TAGS.sub(" ", text).split())
    return "", plain[:300], request_id


def _intune_message(message: str) -> str:
    """Intune wraps its own error as JSON inside Graph's message, sometimes after a prefix."""
    start = message.find("{")
    if start < 0:
        return message
    try:
        inner = json.loads(message[start:])
    except ValueError:
        return message
    if isinstance(inner, dict):
        text = inner.get("Message") or inner.get("message")
        if text:
            prefix = message[:start].strip().rstrip(":").strip()
            return f"{prefix}: {text}" if prefix else str(text)
    return message


def _classic_html(response: httpx.Response) -> bool:
    return "html" in response.headers.get("Content-Type", "") and "/JSSResource" in str(
        response.request.url.path
    )


def error_for(response: httpx.Response, service: str) -> TenantError:
    code, message, request_id = describe(response)
    status = response.status_code
    request = response.request
    text = f"{service} {request.method} {request.url.path} → {status}"
    if code:
        text += f" {code}"
    if message:
        text += f": {message}"
    kwargs: dict[str, Any] = {
        "status": status,
        "service": service,
        "code": code,
        "request_id": request_id,
        "retry_after": retry_after(response),
    }
    if status in TRANSIENT_STATUSES:
        return TransientTenantError(text, **kwargs)
    if status in (401, 403):
        return AuthenticationError(text, **kwargs)
    if status == 404:
        return NotFoundError(text, **kwargs)
    if status == 409 and _classic_html(response) and "duplicate" not in message.lower():
        # the Classic API answers 409 for any invalid payload, not only for conflicts
        return RequestRejectedError(text, **kwargs)
    if status in (409, 412):
        return ConflictError(text, **kwargs)
    if status in (400, 422):
        return RequestRejectedError(text, **kwargs)
    if status >= 500:
        return TransientTenantError(text, **kwargs)
    return PermanentTenantError(text, **kwargs)
