"""Intune for macOS connector: Graph ``macOSLobApp`` (.pkg) and ``macOSDmgApp`` (.dmg).

Sits in the observe and apply steps: implements the domain's ``TenantConnector`` port for
the ``intune-macos`` provider, on the same Graph plumbing as Windows Intune (paging,
``$batch`` assignments, ring groups → managed devices, the install-status report, publishing
before ``/assign``, content upload with SAS renewal). The same Entra tenant holds both, so
the snapshot lists only the two macOS types and leaves win32LobApps to the ``intune``
provider. Every app it creates carries the ownership marker in ``notes``.

The installer arrives unencrypted: :meth:`upload_content` encrypts it
(:mod:`.encryption`) and sends ``fileEncryptionInfo`` at commit. Every property the
renderer produces is declared by Graph v1.0 for its type (msgraph-sdk's models), so
nothing is sent to beta.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from reconciler.connectors._intune import APPS, IntuneConnector
from reconciler.connectors.intune_macos.encryption import (
    ContentEncryptor,
    encrypt_pieces,
    encrypted_size,
)
from reconciler.connectors.intune_macos.render import (
    DMG,
    LOB,
    OWNED,
    app_type,
)
from reconciler.domain.models import thaw
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

PROVIDER = "intune-macos"
#: the plaintext is encrypted this many bytes at a time (the blob is uploaded in 4 MiB blocks)
PIECE = 1024 * 1024


class IntuneMacosConnector(IntuneConnector):
    """Mac apps (``.pkg`` → macOSLobApp, ``.dmg`` → macOSDmgApp) in one Intune tenant."""

    provider = PROVIDER
    platform = Platform.MACOS
    operating_system = "macOS"
    app_filter = "isof('microsoft.graph.macOSLobApp') or isof('microsoft.graph.macOSDmgApp')"

    @staticmethod
    def _observed(
        app: dict[str, Any],
        assignments: tuple[Assignment, ...],
        install: dict[str, InstallCounts],
        devices: dict[str, tuple[DeviceInstall, ...]],
    ) -> ObservedApp:
        kind = str(app.get("@odata.type") or LOB)
        owned = OWNED[kind] if kind in OWNED else OWNED[LOB]
        version = app.get("primaryBundleVersion") if kind == DMG else app.get("buildNumber")
        return ObservedApp(
            platform=Platform.MACOS,
            id=str(app["id"]),
            display_name=str(app.get("displayName", "")),
            version=str(version or ""),
            marker=parse_marker(app.get("notes")),
            properties=MappingProxyType({k: app[k] for k in owned if k in app}),
            assignments=assignments,
            content_ready=bool(app.get("committedContentVersion")),
            install=MappingProxyType(install),
            devices=MappingProxyType(devices),
            extra=MappingProxyType(
                {
                    "@odata.type": kind,
                    "committedContentVersion": app.get("committedContentVersion"),
                    "publishingState": app.get("publishingState"),
                }
            ),
        )

    # --- writes ----------------------------------------------------------------

    def payload(self, app: DesiredApp, version: str = "v1.0") -> dict[str, Any]:
        """The macOSLobApp / macOSDmgApp body for ``app``: the owned properties (all
        declared by v1.0 for the type) and the marker; nothing goes to beta."""
        kind = app_type(app.package.file)
        if version != "v1.0":
            return {}
        properties = {k: v for k, v in app.properties.items() if k in OWNED[kind]}
        return {
            "@odata.type": kind,
            "displayName": app.display_name,
            "description": app.description,
            "publisher": app.publisher,
            "notes": str(app.marker),
            **thaw(properties),
        }

    async def _patch_beta_fields(self, app_id: str, app: DesiredApp) -> None:
        """Every property this provider writes is v1.0's: no beta call."""

    async def upload_content(self, app_id: str, app: DesiredApp, store: PackageStore) -> None:
        """Encrypt the installer, upload it as a new content version, commit it with its
        ``fileEncryptionInfo`` and make it the committed one.

        The package store checks the sha256 and size Git declares before anything leaves;
        the digest sent at commit is computed over the same bytes as they are encrypted.
        """
        kind = app_type(app.package.file)
        plain = memoryview(store.read(app.package))
        encryptor = ContentEncryptor()
        pieces = (plain[start : start + PIECE] for start in range(0, len(plain), PIECE))
        body = b"".join(encrypt_pieces(pieces, encryptor))
        blob = encryptor.mac + body
        if len(blob) != encrypted_size(len(plain)):  # pragma: no cover - a broken cipher
            raise AssertionError("encrypted size does not follow from the plaintext size")
        await self._content_version(
            app_id, kind, _file_name(app), len(plain), blob, encryptor.encryption_info()
        )

    async def _content_version(
        self,
        app_id: str,
        kind: str,
        name: str,
        size: int,
        blob: bytes,
        encryption_info: Mapping[str, Any],
    ) -> None:
        versions = f"{APPS}/{app_id}/{kind.removeprefix('#')}/contentVersions"
        version = (await self.graph.request("POST", versions, json={})).json()["id"]
        files = f"{versions}/{version}/files"
        created = await self.graph.request(
            "POST",
            files,
            json={
                "@odata.type": "#microsoft.graph.mobileAppContentFile",
                "name": name,
                "size": size,
                "sizeEncrypted": len(blob),
                "manifest": None,
                "isDependency": False,
            },
        )
        file_url = f"{files}/{created.json()['id']}"
        ready = await self._poll(
            file_url, "azureStorageUriRequestSuccess", "azureStorageUriRequest"
        )
        await self._upload_blocks(file_url, str(ready["azureStorageUri"]), blob)
        await self.graph.request(
            "POST", f"{file_url}/commit", json={"fileEncryptionInfo": dict(encryption_info)}
        )
        await self._poll(file_url, "commitFileSuccess", "commitFile")
        await self.graph.request(
            "PATCH",
            f"{APPS}/{app_id}",
            json={"@odata.type": kind, "committedContentVersion": str(version)},
        )


def _file_name(app: DesiredApp) -> str:
    return str(app.properties.get("fileName") or app.package.file.rsplit("/", 1)[-1])
