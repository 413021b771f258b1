"""Intune connector: Windows apps (win32LobApp) through Microsoft Graph.

Sits in the observe and apply steps: implements the domain's ``TenantConnector`` port for
Windows. Every app it creates carries the ownership marker in ``notes``. The snapshot
reads every win32LobApp (paged), the assignments of all of them through ``$batch``
(20 per call), and for managed apps the install status per ring group from the
install-status report; it reports managed apps (marker present) and unmanaged
look-alikes. ``set_assignments`` always sends the complete desired list, because
``/assign`` replaces whatever was there, and only once the app is published (publishing
takes a while after the content commit; until then the assignment waits for the next pass).

Every property is sent to the API version that declares it (:data:`FIELD_VERSIONS`):
v1.0 for all but ``displayVersion``, which only beta's win32LobApp has.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from reconciler.connectors._http import ServiceClient
from reconciler.connectors._packages import read_intunewin
from reconciler.domain.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    NotReadyError,
    PermanentTenantError,
    TransientTenantError,
)
from reconciler.domain.models import thaw
from reconciler.domain.ports import PackageStore
from reconciler.domain.tenant import (
    Assignment,
    AssignmentIntent,
    DesiredApp,
    DeviceInstall,
    InstallCounts,
    ObservedApp,
    Platform,
    TargetKind,
    TenantSnapshot,
    parse_marker,
)

WIN32 = "#microsoft.graph.win32LobApp"
APPS = "/deviceAppManagement/mobileApps"
REPORT = "/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport"
#: rows asked for per report page; a service that caps pages lower is followed by its count
REPORT_PAGE = 1000
#: Graph's limit of requests in one $batch
BATCH_SIZE = 20
#: group members and managed devices are read this many a page
DIRECTORY_PAGE = 999
BLOCK_SIZE = 4 * 1024 * 1024
_TRANSIENT = frozenset({429, 500, 502, 503, 504})
#: the API version each win32LobApp property the connector writes is declared in (Microsoft's
#: v1.0 and beta models, see docs/connectors.md); anything not named here is v1.0
FIELD_VERSIONS = {"displayVersion": "beta"}
#: renew an upload's storage URI when it has been in use this long (IntuneWin32App: 450 s)
SAS_RENEW_AFTER = 450.0
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
#: raw AppInstallState values of the install-status report (enum names, or their numeric
#: codes) → what they count as. The ``_loc`` column is display text in the tenant's
#: language and is never read.
_STATES = {
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


class IntuneConnector:
    """Windows apps in one Intune tenant (``TenantConnector``)."""

    platform = Platform.WINDOWS
    #: managedDevice ``operatingSystem`` of the devices that install this connector's apps
    operating_system = "Windows"
    #: the ``$filter`` that lists this connector's app types
    app_filter = "isof('microsoft.graph.win32LobApp')"

    def __init__(
        self,
        graph: ServiceClient,
        *,
        page_size: int = 100,
        report_page: int = REPORT_PAGE,
        directory_page: int = DIRECTORY_PAGE,
        poll_interval: float = 1.0,
        poll_attempts: int = 60,
        storage: ServiceClient | None = None,
        clock: Callable[[], float] = time.monotonic,
        sas_renew_after: float = SAS_RENEW_AFTER,
    ) -> None:
        self.graph = graph
        self.clock = clock
        self.sas_renew_after = sas_renew_after
        # Blob storage is another service: its own breaker, no Graph budget, no bearer token.
        self.storage = storage or ServiceClient(
            base_url="",
            service="storage",
            credentials=None,
            client=graph.client,
            retry=graph.retry,
            sleep=graph.sleep,
        )
        self.page_size = page_size
        self.report_page = report_page
        self.directory_page = directory_page
        self.poll_interval = poll_interval
        self.poll_attempts = poll_attempts

    # --- reads -----------------------------------------------------------------

    async def snapshot(self, ring_groups: Sequence[str]) -> TenantSnapshot:
        before = self.graph.requests
        raw = await self.list_apps()
        assignments = await self._assignments([a["id"] for a in raw])
        managed = [a["id"] for a in raw if parse_marker(a.get("notes")) is not None]
        install: dict[str, dict[str, InstallCounts]] = {}
        devices: dict[str, dict[str, tuple[DeviceInstall, ...]]] = {}
        if ring_groups and managed:
            ring_devices = await self.ring_devices(ring_groups)
            device_groups = {d: group for d, (group, _sync) in ring_devices.items()}
            install, rows = await self._install_counts(managed, device_groups)
            members: dict[str, list[tuple[str, datetime | None]]] = {}
            for device, (group, synced) in sorted(ring_devices.items()):
                members.setdefault(group, []).append((device, synced))
            devices = {
                app_id: _device_installs(
                    members, rows.get(app_id, {}), targeted, self.platform.value
                )
                for app_id, targeted in _targeted_groups(assignments, managed).items()
                if targeted
            }
        apps = tuple(
            self._observed(
                a, assignments.get(a["id"], ()), install.get(a["id"], {}), devices.get(a["id"], {})
            )
            for a in raw
        )
        return TenantSnapshot(self.platform, apps, requests=self.graph.requests - before)

    async def list_apps(self) -> list[dict[str, Any]]:
        """Every win32LobApp of the tenant, all pages."""
        return await self._paged(APPS, {"$filter": self.app_filter, "$top": self.page_size})

    async def get_app(self, app_id: str) -> dict[str, Any]:
        body: dict[str, Any] = (await self.graph.request("GET", f"{APPS}/{app_id}")).json()
        return body

    async def find_managed(self, intent: str) -> list[str]:
        """Ids of the apps whose marker names ``intent``."""
        return [
            str(a["id"])
            for a in await self.list_apps()
            if (marker := parse_marker(a.get("notes"))) is not None and marker.intent == intent
        ]

    async def ring_members(self, group_id: str) -> list[dict[str, Any]]:
        """The Entra device objects in a ring group (``id`` and ``deviceId``), all pages."""
        return await self._paged(
            f"/groups/{group_id}/members", {"$select": "id,deviceId", "$top": self.directory_page}
        )

    async def ring_devices(
        self, ring_groups: Sequence[str]
    ) -> dict[str, tuple[str, datetime | None]]:
        """managedDevice id → (ring group id, ``lastSyncDateTime``) of the ring groups'
        devices that run :attr:`operating_system`.

        Group members are Entra *device objects*; a managedDevice names its Entra device
        by ``azureADDeviceId``, which is the device object's ``deviceId`` (not its id).
        """
        by_entra_id: dict[str, str] = {}
        for group in ring_groups:
            for member in await self.ring_members(group):
                if member.get("deviceId"):
                    by_entra_id.setdefault(str(member["deviceId"]), group)
        devices = await self._paged(
            "/deviceManagement/managedDevices",
            {
                "$select": "id,azureADDeviceId,lastSyncDateTime,operatingSystem",
                "$top": self.directory_page,
            },
        )
        return {
            str(d["id"]): (
                by_entra_id[str(d.get("azureADDeviceId"))],
                _when(d.get("lastSyncDateTime")),
            )
            for d in devices
            if str(d.get("azureADDeviceId")) in by_entra_id
            # a ring group holds PCs and Macs alike: only this connector's platform installs
            and str(d.get("operatingSystem") or self.operating_system) == self.operating_system
        }

    async def _paged(self, url: str, params: dict[str, Any] | None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            body = (await self.graph.request("GET", next_url, params=params)).json()
            items.extend(body.get("value", []))
            # nextLink is the whole URL, query included
            next_url, params = body.get("@odata.nextLink"), None
        return items

    async def batch(self, requests: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Run read requests through ``$batch`` (20 a call); answers by request id.

        Inner answers that are throttled or failed transiently are sent again in a later
        call, after the largest ``Retry-After`` they carried (or the backoff), as many
        times as the retry policy allows; then a TransientTenantError is raised.
        """
        answers: dict[str, dict[str, Any]] = {}
        pending = list(requests)
        for round_number in range(1, self.graph.retry.attempts + 1):
            retry: list[dict[str, Any]] = []
            wait = 0.0
            for start in range(0, len(pending), BATCH_SIZE):
                chunk = pending[start : start + BATCH_SIZE]
                by_id = {r["id"]: r for r in chunk}
                body = (
                    await self.graph.request(
                        "POST", "/$batch", json={"requests": chunk}, write=False, cost=len(chunk)
                    )
                ).json()
                for answer in body.get("responses", []):
                    request = by_id.pop(str(answer.get("id")), None)
                    if request is None:
                        continue
                    status = int(answer.get("status", 500))
                    if status in _TRANSIENT:
                        retry.append(request)
                        wait = max(wait, _inner_retry_after(answer))
                    else:
                        answers[request["id"]] = answer
                retry.extend(by_id.values())  # requests the service did not answer
            if not retry:
                return answers
            pending = retry
            if round_number < self.graph.retry.attempts:
                backoff = min(self.graph.retry.initial * 2**round_number, self.graph.retry.maximum)
                await self.graph.sleep(
                    min(wait, self.graph.retry.max_retry_after) if wait else backoff
                )
        raise TransientTenantError(
            f"graph $batch: {len(pending)} requests still throttled or failing after "
            f"{self.graph.retry.attempts} rounds",
            status=429,
            service=self.graph.service,
        )

    async def _assignments(self, app_ids: Sequence[str]) -> dict[str, tuple[Assignment, ...]]:
        requests = [
            {"id": str(i), "method": "GET", "url": f"{APPS}/{app_id}/assignments"}
            for i, app_id in enumerate(app_ids)
        ]
        result: dict[str, tuple[Assignment, ...]] = {}
        for request_id, answer in (await self.batch(requests)).items():
            app_id = app_ids[int(request_id)]
            status = int(answer.get("status", 500))
            if status == 200:
                values = (answer.get("body") or {}).get("value", [])
                result[app_id] = tuple(_assignment(v) for v in values)
            elif status != 404:  # an app deleted meanwhile has no assignments
                raise PermanentTenantError(
                    f"graph $batch assignments of {app_id} → {status}",
                    status=status,
                    service=self.graph.service,
                )
        return result

    def _report_request(self, request_id: str, app_id: str, skip: int, top: int) -> dict[str, Any]:
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

    async def _install_counts(
        self, app_ids: Sequence[str], device_groups: dict[str, str]
    ) -> tuple[dict[str, dict[str, InstallCounts]], dict[str, dict[str, dict[str, Any]]]]:
        """Per app and ring group, from the install-status report pages, 20 a ``$batch``;
        and per app the report row of each ring device.

        The first page of every app says ``TotalRowCount``; all further pages are then
        asked for at once.
        """
        counts: dict[str, dict[str, InstallCounts]] = {a: {} for a in app_ids}
        rows: dict[str, dict[str, dict[str, Any]]] = {a: {} for a in app_ids}

        def add(app_id: str, report: dict[str, Any]) -> None:
            for row in _rows(report):
                device = str(row.get("DeviceId"))
                group = device_groups.get(device)
                if group is not None:
                    counts[app_id][group] = counts[app_id].get(group, InstallCounts()) + _count(row)
                    rows[app_id][device] = row

        first = [
            self._report_request(str(i), app_id, 0, self.report_page)
            for i, app_id in enumerate(app_ids)
        ]
        more: list[dict[str, Any]] = []
        for request_id, answer in (await self.batch(first)).items():
            app_id = app_ids[int(request_id)]
            report = self._report_answer(answer, app_id)
            add(app_id, report)
            stride = len(report.get("Values", []))
            total = int(report.get("TotalRowCount", 0))
            if stride and total > stride:
                more.extend(
                    self._report_request(f"{request_id}.{page}", app_id, page * stride, stride)
                    for page in range(1, math.ceil(total / stride))
                )
        for request_id, answer in (await self.batch(more)).items():
            app_id = app_ids[int(request_id.split(".")[0])]
            add(app_id, self._report_answer(answer, app_id))
        return counts, rows

    def _report_answer(self, answer: dict[str, Any], app_id: str) -> dict[str, Any]:
        status = int(answer.get("status", 500))
        if status == 404:
            return {}
        if status != 200:
            raise PermanentTenantError(
                f"graph install-status report of {app_id} → {status}",
                status=status,
                service=self.graph.service,
            )
        return _report_body(answer.get("body"))

    @staticmethod
    def _observed(
        app: dict[str, Any],
        assignments: tuple[Assignment, ...],
        install: dict[str, InstallCounts],
        devices: dict[str, tuple[DeviceInstall, ...]],
    ) -> ObservedApp:
        return ObservedApp(
            platform=Platform.WINDOWS,
            id=str(app["id"]),
            display_name=str(app.get("displayName", "")),
            version=str(app.get("displayVersion") or ""),
            marker=parse_marker(app.get("notes")),
            properties=MappingProxyType({k: app[k] for k in OWNED if k in app}),
            assignments=assignments,
            # content is in once a version is committed; publishing follows on its own
            content_ready=bool(app.get("committedContentVersion")),
            install=MappingProxyType(install),
            devices=MappingProxyType(devices),
            extra=MappingProxyType(
                {
                    "committedContentVersion": app.get("committedContentVersion"),
                    "publishingState": app.get("publishingState"),
                }
            ),
        )

    # --- writes ----------------------------------------------------------------

    def payload(self, app: DesiredApp, version: str = "v1.0") -> dict[str, Any]:
        """The win32LobApp body for ``app`` with the properties ``version`` declares: for
        v1.0 the owned properties and the marker, for beta what only beta has."""
        properties = {k: v for k, v in app.properties.items() if k in OWNED}
        body: dict[str, Any] = {
            "displayName": app.display_name,
            "displayVersion": app.version,
            "description": app.description,
            "publisher": app.publisher,
            "notes": str(app.marker),
            **thaw(properties),
        }
        return {"@odata.type": WIN32} | {
            k: v for k, v in body.items() if FIELD_VERSIONS.get(k, "v1.0") == version
        }

    def _beta_url(self, path: str) -> str:
        base = self.graph.base_url
        root = base[: -len("/v1.0")] if base.endswith("/v1.0") else base.rsplit("/", 1)[0]
        return f"{root}/beta{path}"

    async def _patch_beta_fields(self, app_id: str, app: DesiredApp) -> None:
        """What only beta declares (displayVersion), sent to beta on purpose."""
        body = self.payload(app, "beta")
        if len(body) > 1:
            await self.graph.request("PATCH", self._beta_url(f"{APPS}/{app_id}"), json=body)

    async def create_app(self, app: DesiredApp) -> str:
        """Create the app; a create retried after a lost answer finds the first one."""

        async def existing() -> str | None:
            found = await self.find_managed(app.intent)
            return found[0] if found else None

        app_id = await self.graph.create(
            APPS, json=self.payload(app), find=existing, parse=lambda r: str(r.json()["id"])
        )
        await self._patch_beta_fields(app_id, app)
        return app_id

    async def update_app(self, app_id: str, app: DesiredApp) -> None:
        """PATCH the owned properties and the marker of an app that carries the marker."""
        await self._require_managed(app_id)
        await self.graph.request("PATCH", f"{APPS}/{app_id}", json=self.payload(app))
        await self._patch_beta_fields(app_id, app)

    async def delete_app(self, app_id: str) -> None:
        """Delete a marked app; one already gone counts as deleted (a retried delete)."""
        try:
            await self._require_managed(app_id)
            await self.graph.request("DELETE", f"{APPS}/{app_id}")
        except NotFoundError:
            return

    async def _require_managed(self, app_id: str) -> None:
        """Refuses apps without the ownership marker: they are someone else's."""
        app = (
            await self.graph.request("GET", f"{APPS}/{app_id}", params={"$select": "id,notes"})
        ).json()
        if parse_marker(app.get("notes")) is None:
            raise ConflictError(
                f"intune app {app_id} carries no ownership marker; EUCORA leaves it alone",
                service=self.graph.service,
            )

    async def _wait_published(self, app_id: str) -> None:
        """Intune publishes an app a while after its content commit and refuses ``/assign``
        until then: wait for it, else leave the assignment to the next pass."""
        state = ""
        for attempt in range(self.poll_attempts):
            app = (
                await self.graph.request(
                    "GET", f"{APPS}/{app_id}", params={"$select": "id,publishingState"}
                )
            ).json()
            state = str(app.get("publishingState") or "")
            if state == "published":
                return
            if state == "notPublished":
                break  # nothing committed: waiting will not help
            if attempt + 1 < self.poll_attempts:
                await self.graph.sleep(self.poll_interval)
        raise NotReadyError(
            f"intune app {app_id} is {state or 'not published'} yet; it is assigned next pass",
            service=self.graph.service,
        )

    async def set_assignments(self, app_id: str, assignments: Sequence[Assignment]) -> None:
        if assignments:
            await self._wait_published(app_id)
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
        """Content version → file → storage URI → blocks → commit → committedContentVersion.

        A content version or file left behind by an interrupted upload is never
        committed, so Intune ignores it; the next upload starts a new version.
        """
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
        await self._upload_blocks(file_url, str(ready["azureStorageUri"]), package.encrypted)
        await self.graph.request(
            "POST", f"{file_url}/commit", json={"fileEncryptionInfo": package.encryption_info}
        )
        await self._poll(file_url, "commitFileSuccess", "commitFile")
        await self.graph.request(
            "PATCH",
            f"{APPS}/{app_id}",
            json={"@odata.type": WIN32, "committedContentVersion": str(version)},
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
                raise PermanentTenantError(
                    f"content upload failed: uploadState {state}", service=self.graph.service
                )
            await self.graph.sleep(self.poll_interval)
        raise TransientTenantError(
            f"content upload still {state!r} after {self.poll_attempts} polls",
            service=self.graph.service,
        )

    async def _renew(self, file_url: str) -> str:
        """A fresh storage URI for the file (renewUpload → azureStorageUriRenewalSuccess)."""
        await self.graph.request("POST", f"{file_url}/renewUpload", json={})
        renewed = await self._poll(
            file_url, "azureStorageUriRenewalSuccess", "azureStorageUriRenewal"
        )
        return str(renewed["azureStorageUri"])

    async def _upload_blocks(self, file_url: str, sas: str, payload: bytes) -> None:
        """Put Block per 4 MiB (ids Base64 of equal length), then Put Block List.

        The storage URI is short-lived: it is renewed when it has been in use for
        ``sas_renew_after`` seconds, and once more when storage refuses it (403).
        """
        ids = []
        issued = self.clock()

        async def put(url: str, **kwargs: Any) -> None:
            nonlocal sas, issued
            if self.clock() - issued >= self.sas_renew_after:
                sas, issued = await self._renew(file_url), self.clock()
            try:
                await self.storage.request("PUT", f"{sas}{url}", authenticated=False, **kwargs)
            except AuthenticationError:  # expired or revoked SAS: renew once and resend
                sas, issued = await self._renew(file_url), self.clock()
                await self.storage.request("PUT", f"{sas}{url}", authenticated=False, **kwargs)

        for number, start in enumerate(range(0, len(payload), BLOCK_SIZE)):
            block = base64.b64encode(f"block-{number:08d}".encode()).decode()
            ids.append(block)
            await put(
                f"&comp=block&blockid={block}",
                content=payload[start : start + BLOCK_SIZE],
                headers={"x-ms-blob-type": "BlockBlob"},
            )
        blocks = "".join(f"<Latest>{block}</Latest>" for block in ids)
        block_list = f'<?xml version="1.0" encoding="utf-8"?><BlockList>{blocks}</BlockList>'
        await put(
            "&comp=blocklist",
            content=block_list.encode(),
            headers={"Content-Type": "application/xml"},
        )

    async def aclose(self) -> None:
        await self.graph.aclose()


def _inner_retry_after(answer: dict[str, Any]) -> float:
    headers = {str(k).lower(): v for k, v in (answer.get("headers") or {}).items()}
    try:
        return max(float(headers.get("retry-after", 0)), 0.0)
    except (TypeError, ValueError):
        return 0.0


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


def _when(text: Any) -> datetime | None:
    """A Graph DateTimeOffset (or report DateTime) → aware datetime; None when absent."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _device_state(row: dict[str, Any] | None) -> str:
    """A report row's state for time to compliance and rollback evidence."""
    if row is None:
        return "pending"
    state = str(row.get("AppInstallState") or "").strip().lower()  # never the _loc text
    if state in ("notinstalled", "3"):
        return "uninstalled"
    kind = _STATES.get(state)
    return "pending" if kind in (None, "not_applicable") else kind


def _targeted_groups(
    assignments: Mapping[str, tuple[Assignment, ...]], app_ids: Sequence[str]
) -> dict[str, set[str]]:
    """Ring groups each app is assigned to (required or uninstall)."""
    return {
        app_id: {
            a.group_id
            for a in assignments.get(app_id, ())
            if a.group_id
            and a.target is TargetKind.GROUP
            and a.intent in (AssignmentIntent.REQUIRED, AssignmentIntent.UNINSTALL)
        }
        for app_id in app_ids
    }


def _device_installs(
    members: Mapping[str, list[tuple[str, datetime | None]]],
    rows: Mapping[str, dict[str, Any]],
    targeted: set[str],
    platform: str = Platform.WINDOWS.value,
) -> dict[str, tuple[DeviceInstall, ...]]:
    """Every device (id, last sync) of the app's ring groups with its state (no report row
    yet: pending); an installed device reached its state at the row's
    ``LastModifiedDateTime``, else at its last sync."""
    result: dict[str, tuple[DeviceInstall, ...]] = {}
    for group in sorted(targeted & set(members)):
        items = []
        for device, synced in members[group]:
            row = rows.get(device)
            state = _device_state(row)
            reached = None
            if row is not None and state == "installed":
                reached = _when(row.get("LastModifiedDateTime")) or synced
            items.append(DeviceInstall(f"{platform}:{device}", state, synced, reached))
        result[group] = tuple(items)
    return result


def _count(row: dict[str, Any]) -> InstallCounts:
    kind = _STATES.get(str(row.get("AppInstallState", "")).strip().lower())
    return InstallCounts(**{kind: 1}) if kind is not None else InstallCounts()


def _assignment(value: dict[str, Any]) -> Assignment:
    target = value.get("target") or {}
    return Assignment(
        target=_TARGETS.get(str(target.get("@odata.type")), TargetKind.GROUP),
        group_id=target.get("groupId"),
        intent=AssignmentIntent(value.get("intent", "required")),
    )
