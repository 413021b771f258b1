"""The ``/_sandbox/`` admin API: clock, drift, failure rates, counters and reset over HTTP,
for tests and demos driving a served sandbox (the reconciler never calls it). It is not
authenticated and never faulted. It receives the host's controls as an
:class:`AdminControls` rather than importing the host.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web

from reconciler.sandbox._fleet import iso
from reconciler.sandbox.jamf import JamfProError


class AdminControls(Protocol):
    clock: datetime

    def connection_info(self) -> dict[str, str]: ...
    def advance(self, hours: float = 0.0, *, minutes: float = 0.0) -> datetime: ...
    def counters(self) -> dict[str, Any]: ...
    def reset_counters(self) -> None: ...
    def reset(self) -> None: ...
    def add_all_devices_assignment(self, app_id: str, intent: str = "required") -> None: ...
    def edit_install_command(self, app_id: str, command: str) -> None: ...
    def disable_jamf_policy(self, policy_id: int) -> None: ...
    def delete_app(self, app_id: str) -> None: ...
    def set_failure_rate(self, name: str, rate: float) -> None: ...
    def seed_hand_made(self, windows: int, macos: int) -> dict[str, Any]: ...


Call = Callable[[AdminControls, dict[str, Any]], Any]


def _advance(box: AdminControls, body: dict[str, Any]) -> dict[str, str]:
    end = box.advance(hours=float(body.get("hours", 0)), minutes=float(body.get("minutes", 0)))
    return {"now": iso(end)}


#: (method, action) → what it does; a call answering None answers ``{"ok": true}``
CALLS: dict[tuple[str, str], Call] = {
    ("GET", "info"): lambda box, _: box.connection_info() | {"clock": iso(box.clock)},
    ("GET", "clock"): lambda box, _: {"now": iso(box.clock)},
    ("POST", "clock/advance"): _advance,
    ("GET", "counters"): lambda box, _: box.counters(),
    ("POST", "counters/reset"): lambda box, _: box.reset_counters(),
    ("POST", "reset"): lambda box, _: box.reset(),
    ("POST", "drift/assign-all-devices"): lambda box, body: box.add_all_devices_assignment(
        str(body["appId"]), str(body.get("intent", "required"))
    ),
    ("POST", "drift/install-command"): lambda box, body: box.edit_install_command(
        str(body["appId"]), str(body["installCommandLine"])
    ),
    ("POST", "drift/disable-policy"): lambda box, body: box.disable_jamf_policy(
        int(body["policyId"])
    ),
    ("POST", "drift/delete-app"): lambda box, body: box.delete_app(str(body["appId"])),
    ("POST", "seed/hand-made"): lambda box, body: box.seed_hand_made(
        int(body.get("windows", 0)), int(body.get("macos", 0))
    ),
    ("POST", "failure-rate"): lambda box, body: box.set_failure_rate(
        str(body["name"]), float(body["rate"])
    ),
}


async def admin(request: web.Request, box: AdminControls) -> web.Response:
    action = request.path.removeprefix("/_sandbox/").rstrip("/")
    body: dict[str, Any] = {}
    if request.method == "POST" and request.can_read_body:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return web.json_response({"error": "body must be JSON"}, status=400)
    call = CALLS.get((request.method, action))
    if call is None:
        return web.json_response(
            {"error": f"unknown admin call {request.method} {action}"}, status=404
        )
    try:
        answer = call(box, body)
    except (KeyError, JamfProError) as exc:
        return web.json_response({"error": f"not found or missing field: {exc}"}, status=404)
    except ValueError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"ok": True} if answer is None else answer)
