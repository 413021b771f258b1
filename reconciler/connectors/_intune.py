"""Intune connector: Windows apps (win32LobApp) through Microsoft Graph.

Implements the domain's ``TenantConnector`` port. Every app it creates carries the
ownership marker in ``notes``; the snapshot reads every win32LobApp (paged), the
assignments of all of them through ``$batch`` (20 per call), and reports managed apps
(marker present) and unmanaged look-alikes. ``set_assignments`` always sends the complete
desired list, because ``/assign`` replaces whatever was there.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from types import MappingProxyType
from typing import Any

from reconciler.connectors._http import ServiceClient
from reconciler.connectors._packages import read_intunewin
from reconciler.domain.errors import PermanentTenantError, TransientTenantError
from reconciler.domain.models import thaw
from reconciler.domain.ports import PackageStore
from reconciler.domain.tenant import (
    Assignment,
    AssignmentIntent,
    DesiredApp,
    InstallCounts,
    ObservedApp,
    Platform,
    TargetKind,
    TenantSnapshot,
    parse_marker,
)

WIN32 = "#microsoft.graph.win32LobApp"
REPORT = "/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport"
REPORT_PAGE = 1000
APPS = "/deviceAppManagement/mobileApps"
BATCH_SIZE = 20
BLOCK_SIZE = 4 * 1024 * 1024
#: the properties EUCORA owns on a win32LobApp, compared for drift
OWNED = (
    "fileName",
    "setupFilePath",
    "installCommandLine",
    "uninstallCommandLine",
    "applicableArchitectures",
    "minimumSupportedWindowsRelease",
    "installExperience",
    "returnCodes",
    "rules",
)
_TARGETS = {
    "#microsoft.graph.groupAssignmentTarget": TargetKind.GROUP,
    "#microsoft.graph.exclusionGroupAssignmentTarget": TargetKind.EXCLUSION,
    "#microsoft.graph.allDevicesAssignmentTarget": TargetKind.ALL_DEVICES,
    "#microsoft.graph.allLicensedUsersAssignmentTarget": TargetKind.ALL_USERS,
}
_TARGET_TYPES = {kind: odata for odata, kind in _TARGETS.items()}


class IntuneConnector:
    platform = Platform.WINDOWS

    def __init__(
        self,
        graph: ServiceClient,
        *,
        page_size: int = 100,
        poll_interval: float = 1.0,
        poll_attempts: int = 60,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.graph = graph
        self.page_size = page_size
        self.poll_interval = poll_interval
        self.poll_attempts = poll_attempts
        self._sleep = sleep

    # --- reads -----------------------------------------------------------------

    async def snapshot(self, ring_groups: Sequence[str]) -> TenantSnapshot:
        before = self.graph.requests
        raw = await self._list_apps()
        assignments = await self._assignments([a["id"] for a in raw])
        managed = [a["id"] for a in raw if parse_marker(a.get("notes")) is not None]
        install: dict[str, dict[str, InstallCounts]] = {}
        if ring_groups and managed:
            device_groups = await self._device_groups(ring_groups)
            install = await self._install_counts(managed, device_groups)
        apps = tuple(
            self._observed(a, assignments.get(a["id"], ()), install.get(a["id"], {})) for a in raw
        )
        return TenantSnapshot(Platform.WINDOWS, apps, requests=self.graph.requests - before)

    async def _paged(self, url: str, params: dict[str, Any] | None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            body = (await self.graph.request("GET", next_url, params=params)).json()
            items.extend(body.get("value", []))
            next_url, params = body.get("@odata.nextLink"), None
        return items

    async def _device_groups(self, ring_groups: Sequence[str]) -> dict[str, str]:
        """managedDevice id → ring group id (group members are Entra device objects)."""
        by_entra_id: dict[str, str] = {}
        for group in ring_groups:
            members = await self._paged(
                f"/groups/{group}/members", {"$select": "id,deviceId", "$top": 999}
            )
            for member in members:
                if member.get("deviceId"):
                    by_entra_id[str(member["deviceId"])] = group
        devices = await self._paged(
            "/deviceManagement/managedDevices", {"$select": "id,azureADDeviceId", "$top": 999}
        )
        return {
            str(d["id"]): by_entra_id[str(d.get("azureADDeviceId"))]
            for d in devices
            if str(d.get("azureADDeviceId")) in by_entra_id
        }

    async def _install_counts(
        self, app_ids: Sequence[str], device_groups: dict[str, str]
    ) -> dict[str, dict[str, InstallCounts]]:
        """Per app and ring group, from the install-status report, 20 reports per $batch."""
        counts: dict[str, dict[str, InstallCounts]] = {a: {} for a in app_ids}
        pending = [(app_id, 0) for app_id in app_ids]
        while pending:
            chunk, pending = pending[:BATCH_SIZE], pending[BATCH_SIZE:]
            requests = [
                {
                    "id": str(i),
                    "method": "POST",
                    "url": REPORT,
                    "headers": {"Content-Type": "application/json"},
                    "body": {
                        "select": ["DeviceId", "AppInstallState", "AppInstallState_loc"],
                        "filter": f"(ApplicationId eq '{app_id}')",
                        "skip": skip,
                        "top": REPORT_PAGE,
                        "orderBy": [],
                    },
                }
                for i, (app_id, skip) in enumerate(chunk)
            ]
            body = (await self.graph.request("POST", "/$batch", json={"requests": requests})).json()
            answered = set()
            for answer in body.get("responses", []):
                app_id, skip = chunk[int(answer["id"])]
                status = int(answer.get("status", 500))
                if status in (429, 500, 502, 503, 504):
                    continue
                answered.add(int(answer["id"]))
                if status != 200:
                    continue
                report = _report_body(answer.get("body"))
                rows = _rows(report)
                for row in rows:
                    group = device_groups.get(str(row.get("DeviceId")))
                    if group is not None:
                        counts[app_id][group] = counts[app_id].get(group, InstallCounts()) + _count(
                            row
                        )
                if skip + len(rows) < int(report.get("TotalRowCount", 0)) and rows:
                    pending.append((app_id, skip + len(rows)))
            retry = [item for i, item in enumerate(chunk) if i not in answered]
            if retry and len(retry) == len(chunk):
                raise TransientTenantError(
                    "graph $batch throttled every report request", status=429
                )
            pending = retry + pending
        return counts

    async def _list_apps(self) -> list[dict[str, Any]]:
        return await self._paged(
            APPS, {"$filter": "isof('microsoft.graph.win32LobApp')", "$top": self.page_size}
        )

    async def _assignments(self, app_ids: Sequence[str]) -> dict[str, tuple[Assignment, ...]]:
        result: dict[str, tuple[Assignment, ...]] = {}
        pending = list(app_ids)
        while pending:
            chunk, pending = pending[:BATCH_SIZE], pending[BATCH_SIZE:]
            requests = [
                {"id": str(i), "method": "GET", "url": f"{APPS}/{app_id}/assignments"}
                for i, app_id in enumerate(chunk)
            ]
            body = (await self.graph.request("POST", "/$batch", json={"requests": requests})).json()
            retry: list[str] = []
            for answer in body.get("responses", []):
                app_id = chunk[int(answer["id"])]
                status = int(answer.get("status", 500))
                if status == 200:
                    values = (answer.get("body") or {}).get("value", [])
                    result[app_id] = tuple(_assignment(v) for v in values)
                elif status in (429, 500, 502, 503, 504):
                    retry.append(app_id)
                elif status != 404:  # an app deleted meanwhile has no assignments
                    raise PermanentTenantError(
                        f"graph $batch assignments of {app_id} → {status}", status=status
                    )
            if retry:
                if len(retry) == len(chunk):
                    raise TransientTenantError("graph $batch throttled every request", status=429)
                pending = retry + pending
        return result

    @staticmethod
    def _observed(
        app: dict[str, Any],
        assignments: tuple[Assignment, ...],
        install: dict[str, InstallCounts],
    ) -> ObservedApp:
        return ObservedApp(
            platform=Platform.WINDOWS,
            id=str(app["id"]),
            display_name=str(app.get("displayName", "")),
            version=str(app.get("displayVersion") or ""),
            marker=parse_marker(app.get("notes")),
            properties=MappingProxyType({k: app[k] for k in OWNED if k in app}),
            assignments=assignments,
            content_ready=app.get("publishingState") == "published",
            install=MappingProxyType(install),
        )

    # --- writes ----------------------------------------------------------------

    def _payload(self, app: DesiredApp) -> dict[str, Any]:
        properties = {k: v for k, v in app.properties.items() if k in OWNED}
        return {
            "@odata.type": WIN32,
            "displayName": app.display_name,
            "displayVersion": app.version,
            "description": app.description,
            "publisher": app.publisher,
            "notes": str(app.marker),
            **thaw(properties),
        }

    async def create_app(self, app: DesiredApp) -> str:
        response = await self.graph.request("POST", APPS, json=self._payload(app))
        return str(response.json()["id"])

    async def update_app(self, app_id: str, app: DesiredApp) -> None:
        await self.graph.request("PATCH", f"{APPS}/{app_id}", json=self._payload(app))

    async def delete_app(self, app_id: str) -> None:
        await self.graph.request("DELETE", f"{APPS}/{app_id}")

    async def set_assignments(self, app_id: str, assignments: Sequence[Assignment]) -> None:
        body = {
            "mobileAppAssignments": [
                {
                    "@odata.type": "#microsoft.graph.mobileAppAssignment",
                    "intent": a.intent.value,
                    "target": {"@odata.type": _TARGET_TYPES[a.target]}
                    | ({"groupId": a.group_id} if a.group_id else {}),
                    "settings": None,
                }
                for a in sorted(set(assignments))
            ]
        }
        await self.graph.request("POST", f"{APPS}/{app_id}/assign", json=body)

    async def upload_content(self, app_id: str, app: DesiredApp, store: PackageStore) -> None:
        package = read_intunewin(store.read(app.package), app.package.file)
        versions = f"{APPS}/{app_id}/microsoft.graph.win32LobApp/contentVersions"
        version = (await self.graph.request("POST", versions, json={})).json()["id"]
        files = f"{versions}/{version}/files"
        created = await self.graph.request(
            "POST",
            files,
            json={
                "@odata.type": "#microsoft.graph.mobileAppContentFile",
                "name": "IntunePackage.intunewin",
                "size": package.unencrypted_size,
                "sizeEncrypted": len(package.encrypted),
                "manifest": None,
                "isDependency": False,
            },
        )
        file_url = f"{files}/{created.json()['id']}"
        ready = await self._poll(
            file_url, "azureStorageUriRequestSuccess", "azureStorageUriRequest"
        )
        await self._upload_blocks(str(ready["azureStorageUri"]), package.encrypted)
        await self.graph.request(
            "POST", f"{file_url}/commit", json={"fileEncryptionInfo": package.encryption_info}
        )
        await self._poll(file_url, "commitFileSuccess", "commitFile")
        await self.graph.request(
            "PATCH",
            f"{APPS}/{app_id}",
            json={"@odata.type": WIN32, "committedContentVersion": version},
        )

    async def _poll(self, url: str, success: str, family: str) -> dict[str, Any]:
        state = ""
        for _ in range(self.poll_attempts):
            body: dict[str, Any] = (await self.graph.request("GET", url)).json()
            state = str(body.get("uploadState", ""))
            if state == success:
                return body
            if (
                state.startswith(family) and state.endswith(("Failed", "TimedOut"))
            ) or state == "error":
                raise PermanentTenantError(f"content upload failed: uploadState {state}")
            await self._sleep(self.poll_interval)
        raise TransientTenantError(
            f"content upload still {state!r} after {self.poll_attempts} polls"
        )

    async def _upload_blocks(self, sas: str, payload: bytes) -> None:
        ids = []
        for number, start in enumerate(range(0, len(payload), BLOCK_SIZE)):
            block = base64.b64encode(f"block-{number:08d}".encode()).decode()
            ids.append(block)
            await self.graph.request(
                "PUT",
                f"{sas}&comp=block&blockid={block}",
                content=payload[start : start + BLOCK_SIZE],
                headers={"x-ms-blob-type": "BlockBlob"},
                authenticated=False,
            )
        blocks = "".join(f"<Latest>{block}</Latest>" for block in ids)
        block_list = f'<?xml version="1.0" encoding="utf-8"?><BlockList>{blocks}</BlockList>'
        await self.graph.request(
            "PUT",
            f"{sas}&comp=blocklist",
            content=block_list.encode(),
            headers={"Content-Type": "application/xml"},
            authenticated=False,
        )

    async def aclose(self) -> None:
        await self.graph.aclose()


def _report_body(body: Any) -> dict[str, Any]:
    """Reports answer as application/octet-stream; in a $batch that body may arrive base64."""
    if isinstance(body, str):
        try:
            body = json.loads(base64.b64decode(body))
        except ValueError:
            body = json.loads(body)
    return body if isinstance(body, dict) else {}


def _rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Schema/Values rows as dicts keyed by column name."""
    columns = [c.get("Column") for c in report.get("Schema", [])]
    return [dict(zip(columns, values, strict=False)) for values in report.get("Values", [])]


def _count(row: dict[str, Any]) -> InstallCounts:
    text = str(row.get("AppInstallState_loc") or row.get("AppInstallState") or "").lower()
    if "fail" in text:
        return InstallCounts(failed=1)
    if "pending" in text:
        return InstallCounts(pending=1)
    if "not applicable" in text or text == "notapplicable":
        return InstallCounts(not_applicable=1)
    if text == "installed":
        return InstallCounts(installed=1)
    return InstallCounts()


def _assignment(value: dict[str, Any]) -> Assignment:
    target = value.get("target") or {}
    return Assignment(
        target=_TARGETS.get(str(target.get("@odata.type")), TargetKind.GROUP),
        group_id=target.get("groupId"),
        intent=AssignmentIntent(value.get("intent", "required")),
    )
