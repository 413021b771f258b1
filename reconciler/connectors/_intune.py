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
    ObservedApp,
    Platform,
    TargetKind,
    TenantSnapshot,
    parse_marker,
)

WIN32 = "#microsoft.graph.win32LobApp"
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
        apps = tuple(self._observed(a, assignments.get(a["id"], ())) for a in raw)
        return TenantSnapshot(Platform.WINDOWS, apps, requests=self.graph.requests - before)

    async def _list_apps(self) -> list[dict[str, Any]]:
        url: str | None = APPS
        params: dict[str, Any] | None = {
            "$filter": "isof('microsoft.graph.win32LobApp')",
            "$top": self.page_size,
        }
        apps: list[dict[str, Any]] = []
        while url:
            body = (await self.graph.request("GET", url, params=params)).json()
            apps.extend(body.get("value", []))
            url, params = body.get("@odata.nextLink"), None
        return apps

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
    def _observed(app: dict[str, Any], assignments: tuple[Assignment, ...]) -> ObservedApp:
        return ObservedApp(
            platform=Platform.WINDOWS,
            id=str(app["id"]),
            display_name=str(app.get("displayName", "")),
            version=str(app.get("displayVersion") or ""),
            marker=parse_marker(app.get("notes")),
            properties=MappingProxyType({k: app[k] for k in OWNED if k in app}),
            assignments=assignments,
            content_ready=app.get("publishingState") == "published",
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


def _assignment(value: dict[str, Any]) -> Assignment:
    target = value.get("target") or {}
    return Assignment(
        target=_TARGETS.get(str(target.get("@odata.type")), TargetKind.GROUP),
        group_id=target.get("groupId"),
        intent=AssignmentIntent(value.get("intent", "required")),
    )
