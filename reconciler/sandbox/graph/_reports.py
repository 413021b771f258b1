"""Graph's app install-status report: v1.0 ``retrieveDeviceAppInstallationStatusReport``
and beta ``getDeviceInstallStatusReport``, answered as the octet-stream
``{TotalRowCount, Schema, Values}`` the service sends.

Rows are the Intune-managed devices that have acted on the app, plus those assigned it
``required`` that have not checked in yet (``pendingInstall``, from the check-in
targeting). Localized columns come with their base column and cannot be selected.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.sandbox._fleet import iso
from reconciler.sandbox._wire import Reply
from reconciler.sandbox.graph._app_types import app_type
from reconciler.sandbox.graph._checkin import IntuneCheckin
from reconciler.sandbox.graph._directory import OPERATING_SYSTEMS
from reconciler.sandbox.graph._state import GraphError, Route

STATE_LOC = {
    "installed": "Installed",
    "failed": "Failed",
    "notInstalled": "Not installed",
    "uninstallFailed": "Uninstall failed",
    "pendingInstall": "Install pending",
    "unknown": "Unknown",
    "notApplicable": "Not applicable",
}
REPORT_COLUMNS = [
    ("DeviceName", "String"),
    ("UserPrincipalName", "String"),
    ("Platform", "String"),
    ("AppVersion", "String"),
    ("DeviceId", "String"),
    ("AssignmentFilterIdsExist", "Boolean"),
    ("LastModifiedDateTime", "DateTime"),
    ("AppInstallState", "Int32"),
    ("AppInstallStateDetails", "Int32"),
    ("HexErrorCode", "String"),
    ("ErrorCode", "Int32"),
    ("UserName", "String"),
    ("ApplicationId", "String"),
]
STATE_CODES = {
    "installed": 1,
    "failed": 2,
    "notInstalled": 3,
    "uninstallFailed": 4,
    "pendingInstall": 5,
    "unknown": 99,
    "notApplicable": 6,
}
#: localized companions of report columns: answered with their base column, never selectable
LOCALIZED = {
    "AppInstallState": "AppInstallState_loc",
    "AppInstallStateDetails": "AppInstallStateDetails_loc",
}
REPORT_ROUTES: list[Route] = [
    (
        "POST",
        r"/deviceManagement/reports/(?P<report>retrieveDeviceAppInstallationStatusReport"
        r"|getDeviceInstallStatusReport)",
        "report",
    ),
]


class ReportHandlers(IntuneCheckin):
    def report(self, *, version: str, query: dict[str, str], body: Any, report: str) -> Reply:
        if (report == "getDeviceInstallStatusReport") != (version == "beta"):
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{report}'.")
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Request body must be a JSON object.")
        flt = str(body.get("filter") or "")
        match = re.search(r"ApplicationId\s+eq\s+'([^']+)'", flt)
        if match is None:
            raise GraphError(400, "BadRequest", "Filter must include (ApplicationId eq '<id>').")
        app_id = match.group(1)
        columns = [c for c, _ in REPORT_COLUMNS]
        select = body.get("select") or columns
        # a localized column comes back with its base column; asking for it is an error
        if not isinstance(select, list) or any(c not in columns for c in select):
            bad = [c for c in select if c not in columns] if isinstance(select, list) else select
            raise GraphError(400, "BadRequest", f"Invalid select column(s): {bad}.")
        answered = [name for column in select for name in (column, LOCALIZED.get(column)) if name]
        skip = body.get("skip") or 0
        top = body.get("top") or 50
        if not isinstance(skip, int) or not isinstance(top, int) or skip < 0 or top < 1:
            raise GraphError(400, "BadRequest", "skip and top must be non-negative integers.")
        app = self.apps.get(app_id)
        kind = app_type(app.data["@odata.type"]) if app else None
        version_key = kind.version_property if kind else "displayVersion"
        version_text = str((app.data.get(version_key) if app else "") or "")
        targeted = self.targeting(app_id)
        rows = []
        for device in self.devices:
            state_entry = device.app_states.get(app_id)
            if state_entry is None:
                # Assigned as required but not checked in yet: Intune reports it pending.
                if targeted.get(device.object_id) != "required":
                    continue
                state_entry = ("pendingInstall", "", self.now())
            state, hex_error, modified = state_entry
            record = {
                "DeviceName": device.name,
                "UserPrincipalName": device.user,
                "Platform": OPERATING_SYSTEMS[device.platform],
                "AppVersion": version_text if state == "installed" else "",
                "DeviceId": device.managed_id,
                "AssignmentFilterIdsExist": False,
                "LastModifiedDateTime": iso(modified),
                "AppInstallState": STATE_CODES[state],
                "AppInstallState_loc": STATE_LOC[state],
                "AppInstallStateDetails": 0 if state != "failed" else 2016345060,
                "AppInstallStateDetails_loc": ""
                if state != "failed"
                else "The application was not detected after installation completed successfully",
                "HexErrorCode": hex_error,
                "ErrorCode": 0 if not hex_error else int(hex_error, 16) - (1 << 32),
                "UserName": device.user.split("@")[0],
                "ApplicationId": app_id,
            }
            rows.append(record)
        order = body.get("orderBy") or []
        for spec in reversed(order if isinstance(order, list) else []):
            column, _, direction = str(spec).partition(" ")
            if column in columns:
                rows.sort(key=lambda r: str(r[column]), reverse=direction.lower() == "desc")
        page = rows[skip : skip + top]
        types = dict(REPORT_COLUMNS) | dict.fromkeys(LOCALIZED.values(), "String")
        payload = {
            "TotalRowCount": len(rows),
            "Schema": [{"Column": c, "PropertyType": types[c]} for c in answered],
            "Values": [[r[c] for c in answered] for r in page],
            "SessionId": "",
        }
        return Reply(200, payload, content_type="application/octet-stream")
