"""Intune connector: Windows apps (win32LobApp) through Microsoft Graph.

Sits in the observe and apply steps: implements the domain's ``TenantConnector`` port for
the ``intune`` provider. Every app it creates carries the ownership marker in ``notes``.
The snapshot reads every win32LobApp (paged), the assignments of all of them through
``$batch`` (20 per call), and for managed apps the install status per ring group from the
install-status report; it reports managed apps (marker present) and unmanaged
look-alikes. ``set_assignments`` always sends the complete desired list, because
``/assign`` replaces whatever was there, and only once the app is published (publishing
takes a while after the content commit; until then the assignment waits for the next pass).
The Graph lifecycle shared with other Intune-family providers is
:class:`~reconciler.connectors.graph.GraphAppConnector`.

Every property is sent to the API version that declares it (:data:`FIELD_VERSIONS`):
v1.0 for all but ``displayVersion``, which only beta's win32LobApp has.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from reconciler.connectors.graph import reads
from reconciler.connectors.graph.apps import GraphAppConnector
from reconciler.connectors.graph.upload import APPS, Content
from reconciler.connectors.intune.intunewin import read_intunewin
from reconciler.connectors.intune.inventory import tenant_object
from reconciler.domain.documents.imported import TenantObject
from reconciler.domain.documents.models import thaw
from reconciler.domain.ports import PackageStore
from reconciler.domain.tenant import (
    Assignment,
    DesiredApp,
    DeviceInstall,
    InstallCounts,
    ObservedApp,
    Platform,
    parse_marker,
)

WIN32 = "#microsoft.graph.win32LobApp"
#: the API version each win32LobApp property the connector writes is declared in (Microsoft's
#: v1.0 and beta models, see docs/connectors.md); anything not named here is v1.0
FIELD_VERSIONS = {"displayVersion": "beta"}
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


class IntuneConnector(GraphAppConnector):
    """Windows apps in one Intune tenant (``TenantConnector``)."""

    provider = "intune"
    platform = Platform.WINDOWS
    operating_system = "Windows"
    app_type = WIN32

    # --- reads -----------------------------------------------------------------

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
            removable=bool(str(app.get("uninstallCommandLine") or "").strip()),
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

    async def adopt_app(self, app_id: str, app: DesiredApp, related: Mapping[str, str]) -> None:
        """Stamp the marker on a win32LobApp made outside EUCORA, with Git's properties."""
        await self._require_adoptable(app_id, app.intent)
        await self.graph.request("PATCH", f"{APPS}/{app_id}", json=self.payload(app))
        await self._patch_beta_fields(app_id, app)

    async def upload_content(self, app_id: str, app: DesiredApp, store: PackageStore) -> None:
        """The ``.intunewin``'s encrypted payload as a new committed content version."""
        package = read_intunewin(await store.local_file(app.package), app.package.file)
        content = Content(
            "IntunePackage.intunewin",
            package.unencrypted_size,
            package.encrypted_size,
            package.encryption_info,
            package.open_encrypted,
        )
        await self._upload(app_id, content)

    # --- import ------------------------------------------------------------------

    async def import_objects(self) -> tuple[TenantObject, ...]:
        """Every win32LobApp, managed or not, with its assignments (``eucora import``).
        The list is read from beta, the version that declares ``displayVersion``: the same
        pages as v1.0's, with the version people gave the app."""
        raw = await reads.paged(
            self.graph,
            self._beta_url(APPS),
            {"$filter": self.app_filter(), "$top": self.page_size},
        )
        assignments = await self._assignments([a["id"] for a in raw])
        return tuple(tenant_object(self.provider, a, assignments.get(a["id"], ())) for a in raw)
