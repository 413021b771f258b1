"""The sandbox's own admin API under ``/_sandbox/``: what a person does by hand in a portal.

The reconciler never calls it. Tests and the demo use it to make drift (an assignment to
All Devices, an edited install command, a deleted app), to make a build fail, to move the
simulated clock, to set faults and to read request counters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from reconciler.sandbox._faults import FaultPlan, FaultSpecError, parse_faults

if TYPE_CHECKING:
    from reconciler.sandbox._server import Sandbox


def add_admin_routes(app: web.Application, sandbox: Sandbox) -> None:
    state = sandbox.graph

    def app_or_404(request: web.Request) -> dict[str, Any]:
        found = state.apps.get(request.match_info["id"])
        if found is None:
            raise web.HTTPNotFound(text="no such app")
        return found

    async def advance(request: web.Request) -> web.Response:
        hours = float((await request.json()).get("hours", 0))
        check_ins = sandbox.advance(hours)
        return web.json_response(
            {"now": sandbox.graph.fleet.now.isoformat(), "checkIns": check_ins}
        )

    async def all_devices(request: web.Request) -> web.Response:
        app_or_404(request)
        state.assignments[request.match_info["id"]].append(
            {
                "@odata.type": "#microsoft.graph.mobileAppAssignment",
                "id": "allDevices_by_hand",
                "intent": "required",
                "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"},
                "settings": None,
            }
        )
        return web.json_response({"ok": True})

    async def edit_app(request: web.Request) -> web.Response:
        app_or_404(request).update(await request.json())
        return web.json_response({"ok": True})

    async def delete_app(request: web.Request) -> web.Response:
        app_or_404(request)
        del state.apps[request.match_info["id"]]
        state.assignments.pop(request.match_info["id"], None)
        return web.json_response({"ok": True})

    async def success_rate(request: web.Request) -> web.Response:
        body = await request.json()
        sandbox.set_success_rate(str(body["displayName"]), float(body["rate"]))
        return web.json_response({"ok": True})

    async def faults(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            sandbox.faults = FaultPlan(
                parse_faults(str(body.get("spec", ""))), int(body.get("seed", 0))
            )
        except FaultSpecError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def counters(_: web.Request) -> web.Response:
        return web.json_response(
            {"requests": state.requests, "writes": state.writes, "faults": sandbox.faults.fired}
        )

    app.router.add_post("/_sandbox/clock/advance", advance)
    app.router.add_post("/_sandbox/intune/apps/{id}/assign-all-devices", all_devices)
    app.router.add_patch("/_sandbox/intune/apps/{id}", edit_app)
    app.router.add_delete("/_sandbox/intune/apps/{id}", delete_app)
    app.router.add_post("/_sandbox/intune/success-rate", success_rate)
    app.router.add_post("/_sandbox/faults", faults)
    app.router.add_get("/_sandbox/counters", counters)
