"""Graph app content: content version → file → storage URI → blocks → commit.

Sits in the apply step of every Intune-family provider. The storage URI (an Azure blob
SAS) is short-lived: it is renewed when it has been in use for ``sas_renew_after``
seconds (IntuneWin32App: 450 s), and once more when storage refuses it (403). A content
version or file left behind by an interrupted upload is never committed, so Intune ignores
it; the next upload starts a new version.
"""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO, Any

from reconciler.connectors.core.http import ServiceClient
from reconciler.domain.errors import (
    AuthenticationError,
    PermanentTenantError,
    TransientTenantError,
)

APPS = "/deviceAppManagement/mobileApps"
BLOCK_SIZE = 4 * 1024 * 1024
#: renew an upload's storage URI when it has been in use this long (IntuneWin32App: 450 s)
SAS_RENEW_AFTER = 450.0


@dataclass(frozen=True, slots=True)
class Content:
    """What is uploaded: the (encrypted) payload and what Graph is told about it.

    ``open_encrypted`` opens the payload for reading; blocks are read from it one at a time,
    so an installer of gigabytes is streamed from disk, never held in memory.
    """

    file_name: str
    size: int
    encrypted_size: int
    encryption_info: dict[str, Any]
    open_encrypted: Callable[[], AbstractContextManager[IO[bytes]]]

    @classmethod
    def of_bytes(
        cls, file_name: str, size: int, encrypted: bytes, encryption_info: dict[str, Any]
    ) -> Content:
        """Content already in memory (a small payload encrypted on the fly)."""
        return cls(
            file_name,
            size,
            len(encrypted),
            encryption_info,
            lambda: contextlib.nullcontext(io.BytesIO(encrypted)),
        )


@dataclass
class ContentUpload:
    """Uploads and commits one app's content through ``graph`` and blob ``storage``."""

    graph: ServiceClient
    storage: ServiceClient
    clock: Callable[[], float]
    sas_renew_after: float = SAS_RENEW_AFTER
    poll_interval: float = 1.0
    poll_attempts: int = 60

    async def upload(self, app_id: str, app_type: str, content: Content) -> None:
        """Upload ``content`` as a new content version of the app of ``app_type`` (its
        ``@odata.type``) and make it the committed one."""
        segment = app_type.removeprefix("#")
        versions = f"{APPS}/{app_id}/{segment}/contentVersions"
        version = (await self.graph.request("POST", versions, json={})).json()["id"]
        files = f"{versions}/{version}/files"
        created = await self.graph.request(
            "POST",
            files,
            json={
                "@odata.type": "#microsoft.graph.mobileAppContentFile",
                "name": content.file_name,
                "size": content.size,
                "sizeEncrypted": content.encrypted_size,
                "manifest": None,
                "isDependency": False,
            },
        )
        file_url = f"{files}/{created.json()['id']}"
        ready = await self.poll(file_url, "azureStorageUriRequestSuccess", "azureStorageUriRequest")
        await self._upload_blocks(file_url, str(ready["azureStorageUri"]), content)
        await self.graph.request(
            "POST", f"{file_url}/commit", json={"fileEncryptionInfo": content.encryption_info}
        )
        await self.poll(file_url, "commitFileSuccess", "commitFile")
        await self.graph.request(
            "PATCH",
            f"{APPS}/{app_id}",
            json={"@odata.type": app_type, "committedContentVersion": str(version)},
        )

    async def poll(self, url: str, success: str, family: str) -> dict[str, Any]:
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
        renewed = await self.poll(
            file_url, "azureStorageUriRenewalSuccess", "azureStorageUriRenewal"
        )
        return str(renewed["azureStorageUri"])

    async def _upload_blocks(self, file_url: str, sas: str, content: Content) -> None:
        """Put Block per :data:`BLOCK_SIZE` (ids Base64 of equal length), then Put Block
        List; the storage URI is renewed on age and once on a 403."""
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

        with content.open_encrypted() as payload:
            number = 0
            while chunk := payload.read(BLOCK_SIZE):
                block = base64.b64encode(f"block-{number:08d}".encode()).decode()
                ids.append(block)
                await put(
                    f"&comp=block&blockid={block}",
                    content=chunk,
                    headers={"x-ms-blob-type": "BlockBlob"},
                )
                number += 1
        blocks = "".join(f"<Latest>{block}</Latest>" for block in ids)
        block_list = f'<?xml version="1.0" encoding="utf-8"?><BlockList>{blocks}</BlockList>'
        await put(
            "&comp=blocklist",
            content=block_list.encode(),
            headers={"Content-Type": "application/xml"},
        )
