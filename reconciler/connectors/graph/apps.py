"""The Graph ``mobileApp`` lifecycle every Intune-family provider shares.

Sits in the observe and apply steps: :class:`GraphAppConnector` holds what does not depend
on the app type — listing the apps of its ``@odata.type`` (paged), assignments through
``$batch``, ring group → managed devices, the ownership-marker check before any write,
waiting for publishing before ``/assign``, deletes, and content upload with SAS renewal.
A provider subclasses it with its app type, its payload and its snapshot
(``reconciler.connectors.intune``; Intune for macOS does the same with its types).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar, Self

import httpx

from reconciler.connectors.core.breaker import CircuitBreaker
from reconciler.connectors.core.http import RetryPolicy, ServiceClient
from reconciler.connectors.graph import assignments as graph_assignments
from reconciler.connectors.graph import devices, reads, report
from reconciler.connectors.graph.devices import DIRECTORY_PAGE
from reconciler.connectors.graph.report import REPORT_PAGE
from reconciler.connectors.graph.settings import GraphSettings, graph_service
from reconciler.connectors.graph.upload import APPS, SAS_RENEW_AFTER, Content, ContentUpload
from reconciler.domain.errors import ConflictError, NotFoundError, NotReadyError
from reconciler.domain.tenant import (
    Assignment,
    DeviceInstall,
    InstallCounts,
    ObservedApp,
    Platform,
    TenantSnapshot,
    parse_marker,
)


class GraphAppConnector:
    """Apps of one ``@odata.type`` in one Intune tenant; subclassed per provider."""

    #: the provider name this connector serves (``reconciler.connectors.registry``)
    provider: str
    #: the ``@odata.type`` of the apps this connector owns, e.g. ``#microsoft.graph.win32LobApp``
    app_type: ClassVar[str]
    #: the device platform its apps install on
    platform: Platform
    #: managedDevice ``operatingSystem`` of the devices that install its apps
    operating_system: ClassVar[str]

    @classmethod
    def connect(
        cls,
        settings: GraphSettings,
        *,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        page_size: int = 100,
        poll_interval: float = 1.0,
    ) -> Self:
        """A connector of this provider with its own client, token cache, breaker and
        budgets for the tenant ``settings`` name."""
        graph = graph_service(
            settings, retry=retry, breaker=breaker, transport=transport, sleep=sleep
        )
        return cls(graph, page_size=page_size, poll_interval=poll_interval)

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
        """Every app of this connector's types with its assignments and, for managed apps,
        install counts and device states per ring group (devices of its platform only)."""
        before = self.graph.requests
        raw = await self.list_apps()
        assignments = await self._assignments([a["id"] for a in raw])
        managed = [a["id"] for a in raw if parse_marker(a.get("notes")) is not None]
        install: dict[str, dict[str, InstallCounts]] = {}
        devices: dict[str, dict[str, tuple[DeviceInstall, ...]]] = {}
        if ring_groups and managed:
            ring_devices = await self.ring_devices(ring_groups)
            device_groups = {d: group for d, (group, _sync) in ring_devices.items()}
            install, rows = await report.install_counts(
                self.graph, managed, device_groups, self.report_page
            )
            members: dict[str, list[tuple[str, datetime | None]]] = {}
            for device, (group, synced) in sorted(ring_devices.items()):
                members.setdefault(group, []).append((device, synced))
            devices = {
                app_id: report.device_installs(
                    members, rows.get(app_id, {}), targeted, self.platform.value
                )
                for app_id, targeted in graph_assignments.targeted_groups(
                    assignments, managed
                ).items()
                if targeted
            }
        apps = tuple(
            self._observed(
                a, assignments.get(a["id"], ()), install.get(a["id"], {}), devices.get(a["id"], {})
            )
            for a in raw
        )
        return TenantSnapshot(
            self.platform, apps, requests=self.graph.requests - before, provider=self.provider
        )

    @staticmethod
    def _observed(
        app: dict[str, Any],
        assignments: tuple[Assignment, ...],
        install: dict[str, InstallCounts],
        devices: dict[str, tuple[DeviceInstall, ...]],
    ) -> ObservedApp:
        """The app as the engine sees it; each provider names its own properties."""
        raise NotImplementedError

    def app_filter(self) -> str:
        """The ``$filter`` that lists this connector's apps."""
        return f"isof('{self.app_type.removeprefix('#')}')"

    async def list_apps(self) -> list[dict[str, Any]]:
        """Every app of this connector's type in the tenant, all pages."""
        return await reads.paged(
            self.graph, APPS, {"$filter": self.app_filter(), "$top": self.page_size}
        )

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
        return await devices.ring_members(self.graph, group_id, self.directory_page)

    async def ring_devices(
        self, ring_groups: Sequence[str]
    ) -> dict[str, tuple[str, datetime | None]]:
        """managedDevice id → (ring group id, ``lastSyncDateTime``)."""
        return await devices.ring_devices(
            self.graph, ring_groups, self.directory_page, self.operating_system
        )

    async def batch(self, requests: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Run read requests through ``$batch`` (:func:`reads.batch`)."""
        return await reads.batch(self.graph, requests)

    async def _assignments(self, app_ids: Sequence[str]) -> dict[str, tuple[Assignment, ...]]:
        return await graph_assignments.read_assignments(self.graph, APPS, app_ids)

    # --- writes ----------------------------------------------------------------

    async def delete_app(self, app_id: str) -> None:
        """Delete a marked app; one already gone counts as deleted (a retried delete)."""
        try:
            await self._require_managed(app_id)
            await self.graph.request("DELETE", f"{APPS}/{app_id}")
        except NotFoundError:
            return

    async def _require_adoptable(self, app_id: str, intent: str) -> None:
        """Refuses to adopt an app another intent's marker claims (one already stamped for
        ``intent`` is a retried adopt)."""
        app = (
            await self.graph.request("GET", f"{APPS}/{app_id}", params={"$select": "id,notes"})
        ).json()
        marker = parse_marker(app.get("notes"))
        if marker is not None and marker.intent != intent:
            raise ConflictError(
                f"{self.provider} app {app_id} is managed for intent {marker.intent}; "
                f"{intent} cannot adopt it",
                service=self.graph.service,
            )

    async def _require_managed(self, app_id: str, app: dict[str, Any] | None = None) -> None:
        """Refuses apps without the ownership marker: they are someone else's."""
        if app is None:
            app = (
                await self.graph.request("GET", f"{APPS}/{app_id}", params={"$select": "id,notes"})
            ).json()
        if parse_marker(app.get("notes")) is None:
            raise ConflictError(
                f"{self.provider} app {app_id} carries no ownership marker; EUCORA leaves it alone",
                service=self.graph.service,
            )

    async def _wait_published(self, app_id: str) -> None:
        """Intune publishes an app a while after its content commit and refuses ``/assign``
        until then: wait for it, else leave the assignment to the next pass. An app
        without the marker is refused at the first read."""
        state = ""
        for attempt in range(self.poll_attempts):
            app = (
                await self.graph.request(
                    "GET", f"{APPS}/{app_id}", params={"$select": "id,notes,publishingState"}
                )
            ).json()
            if attempt == 0:
                await self._require_managed(app_id, app)
            state = str(app.get("publishingState") or "")
            if state == "published":
                return
            if state == "notPublished":
                break  # nothing committed: waiting will not help
            if attempt + 1 < self.poll_attempts:
                await self.graph.sleep(self.poll_interval)
        raise NotReadyError(
            f"{self.provider} app {app_id} is {state or 'not published'} yet; "
            "it is assigned next pass",
            service=self.graph.service,
        )

    async def set_assignments(self, app_id: str, assignments: Sequence[Assignment]) -> None:
        """Send the complete desired list (``/assign`` replaces), once the app is published."""
        if assignments:
            await self._wait_published(app_id)
        else:
            await self._require_managed(app_id)
        body = graph_assignments.assign_body(assignments)
        await self.graph.request("POST", f"{APPS}/{app_id}/assign", json=body)

    async def _upload(self, app_id: str, content: Content, app_type: str | None = None) -> None:
        """Upload ``content`` as the app's new committed content version; ``app_type`` when
        the app is not of the connector's default type."""
        upload = ContentUpload(
            self.graph,
            self.storage,
            clock=self.clock,
            sas_renew_after=self.sas_renew_after,
            poll_interval=self.poll_interval,
            poll_attempts=self.poll_attempts,
        )
        await upload.upload(app_id, app_type or self.app_type, content)

    async def aclose(self) -> None:
        await self.graph.aclose()
