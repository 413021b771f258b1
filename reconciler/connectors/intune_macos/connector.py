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

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import IO, Any

from reconciler.connectors.graph.apps import GraphAppConnector
from reconciler.connectors.graph.upload import APPS, Content
from reconciler.connectors.intune_macos.encryption import (
    MAC_SIZE,
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

PROVIDER = "intune-macos"
#: the plaintext is encrypted this many bytes at a time (the blob is uploaded in 4 MiB blocks)
PIECE = 1024 * 1024


class IntuneMacosConnector(GraphAppConnector):
    """Mac apps (``.pkg`` → macOSLobApp, ``.dmg`` → macOSDmgApp) in one Intune tenant."""

    provider = PROVIDER
    platform = Platform.MACOS
    operating_system = "macOS"
    #: the type written for a .pkg; a .dmg becomes a macOSDmgApp (:func:`.render.app_type`)
    app_type = LOB

    def app_filter(self) -> str:
        return " or ".join(f"isof('{kind.removeprefix('#')}')" for kind in (LOB, DMG))

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

    def payload(self, app: DesiredApp) -> dict[str, Any]:
        """The macOSLobApp / macOSDmgApp body for ``app``: the owned properties (all
        declared by v1.0 for the type) and the marker."""
        kind = app_type(app.package.file)
        properties = {k: v for k, v in app.properties.items() if k in OWNED[kind]}
        return {
            "@odata.type": kind,
            "displayName": app.display_name,
            "description": app.description,
            "publisher": app.publisher,
            "notes": str(app.marker),
            **thaw(properties),
        }

    async def create_app(self, app: DesiredApp) -> str:
        """Create the app; a create retried after a lost answer finds the first one."""

        async def existing() -> str | None:
            found = await self.find_managed(app.intent)
            return found[0] if found else None

        return await self.graph.create(
            APPS, json=self.payload(app), find=existing, parse=lambda r: str(r.json()["id"])
        )

    async def update_app(self, app_id: str, app: DesiredApp) -> None:
        """PATCH the owned properties and the marker of an app that carries the marker."""
        await self._require_managed(app_id)
        await self.graph.request("PATCH", f"{APPS}/{app_id}", json=self.payload(app))

    async def adopt_app(self, app_id: str, app: DesiredApp, related: Mapping[str, str]) -> None:
        """Stamp the marker on a macOS app made outside EUCORA, with Git's properties."""
        await self._require_adoptable(app_id, app.intent)
        await self.graph.request("PATCH", f"{APPS}/{app_id}", json=self.payload(app))

    async def content(self, app: DesiredApp, store: PackageStore) -> Content:
        """The installer, encrypted with fresh keys, and its ``fileEncryptionInfo``.

        The package store hands out a file whose sha256 and size match what Git declares;
        it is encrypted piece by piece into a temporary file (the MAC, known only at the
        end, goes in front), so a multi-gigabyte disk image never sits in memory. The
        digest sent at commit is computed over the same bytes as they are encrypted.
        """
        source = await store.local_file(app.package)
        size = source.stat().st_size
        encrypted = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the caller's context
        encryptor = ContentEncryptor()
        encrypted.write(bytes(MAC_SIZE))
        with source.open("rb") as plain:
            pieces = iter(lambda: plain.read(PIECE), b"")
            for chunk in encrypt_pieces(pieces, encryptor):
                encrypted.write(chunk)
        encrypted.seek(0)
        encrypted.write(encryptor.mac)
        if encrypted.seek(0, os.SEEK_END) != encrypted_size(size):  # pragma: no cover
            raise AssertionError("encrypted size does not follow from the plaintext size")

        @contextlib.contextmanager
        def open_encrypted() -> Iterator[IO[bytes]]:
            try:
                encrypted.seek(0)
                yield encrypted
            finally:
                encrypted.close()

        return Content(
            _file_name(app),
            size,
            encrypted_size(size),
            encryptor.encryption_info(),
            open_encrypted,
        )

    async def upload_content(self, app_id: str, app: DesiredApp, store: PackageStore) -> None:
        """Encrypt the installer, upload it as a new content version of its type, commit it
        with its ``fileEncryptionInfo`` and make it the committed one."""
        await self._upload(app_id, await self.content(app, store), app_type(app.package.file))


def _file_name(app: DesiredApp) -> str:
    return str(app.properties.get("fileName") or app.package.file.rsplit("/", 1)[-1])
