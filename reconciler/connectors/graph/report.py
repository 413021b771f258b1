"""Intune's device install-status report: install counts and device states per ring group.

Sits in the observe step of every Intune-family provider (the report covers every app
type). Pages of ``retrieveDeviceAppInstallationStatusReport`` are read through ``$batch``;
states come from the raw ``AppInstallState`` values (enum names or their numeric codes),
never from the ``_loc`` column, which is display text in the tenant's language.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from reconciler.connectors.core.http import ServiceClient
from reconciler.connectors.graph.devices import when
from reconciler.connectors.graph.reads import batch
from reconciler.domain.errors import PermanentTenantError
from reconciler.domain.tenant import DeviceInstall, InstallCounts

REPORT = "/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport"
#: rows asked for per report page; a service that caps pages lower is followed by its count
REPORT_PAGE = 1000
#: raw AppInstallState values of the install-status report → what they count as
STATES = {
    "installed": "installed",
    "1": "installed",
    "failed": "failed",
    "2": "failed",
    "uninstallfailed": "failed",
    "4": "failed",
    "pendinginstall": "pending",
    "5": "pending",
    "notinstalled": "pending",
    "3": "pending",
    "notapplicable": "not_applicable",
    "6": "not_applicable",
}
Rows = dict[str, dict[str, dict[str, Any]]]


def report_request(request_id: str, app_id: str, skip: int, top: int) -> dict[str, Any]:
    return {
        "id": request_id,
        "method": "POST",
        "url": REPORT,
        "headers": {"Content-Type": "application/json"},
        "body": {
            # base columns only: a _loc column cannot be selected (it comes back with
            # its base column anyway, as localized text)
            "select": ["DeviceId", "AppInstallState", "LastModifiedDateTime"],
            "filter": f"(ApplicationId eq '{app_id}')",
            "skip": skip,
            "top": top,
            "orderBy": [],
        },
    }


async def install_counts(
    graph: ServiceClient,
    app_ids: Sequence[str],
    device_groups: dict[str, str],
    report_page: int = REPORT_PAGE,
) -> tuple[dict[str, dict[str, InstallCounts]], Rows]:
    """Per app and ring group, from the install-status report pages, 20 a ``$batch``;
    and per app the report row of each ring device.

    The first page of every app says ``TotalRowCount``; all further pages are then
    asked for at once.
    """
    counts: dict[str, dict[str, InstallCounts]] = {a: {} for a in app_ids}
    rows: Rows = {a: {} for a in app_ids}

    def add(app_id: str, report: dict[str, Any]) -> None:
        for row in _rows(report):
            device = str(row.get("DeviceId"))
            group = device_groups.get(device)
            if group is not None:
                counts[app_id][group] = counts[app_id].get(group, InstallCounts()) + count(row)
                rows[app_id][device] = row

    first = [report_request(str(i), app_id, 0, report_page) for i, app_id in enumerate(app_ids)]
    more: list[dict[str, Any]] = []
    for request_id, answer in (await batch(graph, first)).items():
        app_id = app_ids[int(request_id)]
        report = _report_answer(graph, answer, app_id)
        add(app_id, report)
        stride = len(report.get("Values", []))
        total = int(report.get("TotalRowCount", 0))
        if stride and total > stride:
            more.extend(
                report_request(f"{request_id}.{page}", app_id, page * stride, stride)
                for page in range(1, math.ceil(total / stride))
            )
    for request_id, answer in (await batch(graph, more)).items():
        app_id = app_ids[int(request_id.split(".")[0])]
        add(app_id, _report_answer(graph, answer, app_id))
    return counts, rows


def _report_answer(graph: ServiceClient, answer: dict[str, Any], app_id: str) -> dict[str, Any]:
    status = int(answer.get("status", 500))
    if status == 404:
        return {}
    if status != 200:
        raise PermanentTenantError(
            f"graph install-status report of {app_id} → {status}",
            status=status,
            service=graph.service,
        )
    return _report_body(answer.get("body"))


def _report_body(body: Any) -> dict[str, Any]:
    """Reports answer as application/octet-stream; in a $batch that body may arrive base64."""
    if isinstance(body, str):
        try:
            body = json.loads(base64.b64decode(body, validate=True))
        except ValueError:
            body = json.loads(body)
    return body if isinstance(body, dict) else {}


def _rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Schema/Values rows as dicts keyed by column name."""
    columns = [c.get("Column") for c in report.get("Schema", [])]
    return [dict(zip(columns, values, strict=False)) for values in report.get("Values", [])]


def device_state(row: dict[str, Any] | None) -> str:
    """A report row's state for time to compliance and rollback evidence."""
    if row is None:
        return "pending"
    state = str(row.get("AppInstallState") or "").strip().lower()  # never the _loc text
    if state in ("notinstalled", "3"):
        return "uninstalled"
    kind = STATES.get(state)
    return "pending" if kind in (None, "not_applicable") else kind


def device_installs(
    members: Mapping[str, list[tuple[str, datetime | None]]],
    rows: Mapping[str, dict[str, Any]],
    targeted: set[str],
    platform: str,
) -> dict[str, tuple[DeviceInstall, ...]]:
    """Every device (id, last sync) of the app's ring groups with its state (no report row
    yet: pending); an installed device reached its state at the row's
    ``LastModifiedDateTime``, else at its last sync. Device ids are ``<platform>:<id>``."""
    result: dict[str, tuple[DeviceInstall, ...]] = {}
    for group in sorted(targeted & set(members)):
        items = []
        for device, synced in members[group]:
            row = rows.get(device)
            state = device_state(row)
            reached = None
            if row is not None and state == "installed":
                reached = when(row.get("LastModifiedDateTime")) or synced
            items.append(DeviceInstall(f"{platform}:{device}", state, synced, reached))
        result[group] = tuple(items)
    return result


def count(row: dict[str, Any]) -> InstallCounts:
    kind = STATES.get(str(row.get("AppInstallState", "")).strip().lower())
    return InstallCounts(**{kind: 1}) if kind is not None else InstallCounts()
