"""Emulated Azure blob storage behind Intune content upload, and the content files it holds.

Shared state under the Graph emulator: Graph creates a :class:`ContentFile` per uploaded
file and issues its SAS URI; the blob emulator (prefix ``/blob/``) takes Put Block and
Put Block List calls against that URI until it expires on the simulated clock. Errors
are Azure's XML bodies (``AuthenticationFailed``, ``InvalidBlockList`` …).
"""

from __future__ import annotations

import base64
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from reconciler.sandbox._emulator import Emulator, HostContext
from reconciler.sandbox._fleet import iso

#: an upload's SAS URI is valid this long (simulated clock); clients renew it
SAS_LIFETIME = timedelta(minutes=10)
#: a file holding a storage URI: blocks may be put, the URI renewed, the file committed
UPLOADABLE = frozenset({"azureStorageUriRequestSuccess", "azureStorageUriRenewalSuccess"})
#: what Azure Storage answers when it throttles or fails (it throttles with ServerBusy)
STORAGE_FAULTS = {
    429: ("ServerBusy", "The server is currently unable to receive requests. Please retry."),
    500: ("InternalError", "The server encountered an internal error. Please retry the request."),
    503: ("ServerBusy", "The server is currently unable to receive requests. Please retry."),
}
_AUTH_FAILED = (
    "Server failed to authenticate the request. Make sure the value of Authorization header "
    "is formed correctly including the signature."
)


@dataclass
class ContentFile:
    id: str
    name: str
    size: int
    size_encrypted: int
    upload_state: str
    created: str
    blocks: dict[str, int] = field(default_factory=dict)
    committed_bytes: int = -1
    #: the bytes of each block put, and of the blob once a block list committed them
    block_data: dict[str, bytes] = field(default_factory=dict, repr=False)
    content: bytes | None = field(default=None, repr=False)
    #: why Intune's check of the committed content failed (the commit then fails)
    commit_problem: str | None = None
    polls: int = 0
    #: the current SAS: its signature and when it expires (simulated clock)
    signature: str = ""
    expires: datetime | None = None
    renewals: int = 0

    def issue_sas(self, now: datetime, lifetime: timedelta) -> None:
        self.renewals += 1
        self.signature = f"sandbox-{self.id[:8]}-{self.renewals}"
        self.expires = now + lifetime

    def to_json(self, base: str) -> dict[str, Any]:
        ready = self.expires is not None and self.upload_state not in {
            "azureStorageUriRequestPending",
            "azureStorageUriRenewalPending",
        }
        expiry = iso(self.expires) if self.expires is not None else ""
        sas = f"{base}/blob/{self.id}?sv=2019-12-12&sr=b&se={expiry}&sp=rw&sig={self.signature}"
        return {
            "@odata.type": "#microsoft.graph.mobileAppContentFile",
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "sizeEncrypted": self.size_encrypted,
            "manifest": None,
            "isDependency": False,
            "isCommitted": self.upload_state == "commitFileSuccess",
            "createdDateTime": self.created,
            "azureStorageUri": sas if ready else None,
            "azureStorageUriExpirationDateTime": expiry if ready else None,
            "uploadState": self.upload_state,
        }


@dataclass
class BlobStore:
    """Content files by id, as their storage URIs name them."""

    sas_lifetime: timedelta = SAS_LIFETIME
    files: dict[str, ContentFile] = field(default_factory=dict)
    writes: int = 0


class BlobEmulator(Emulator):
    """``PUT /blob/{file}?sig=…&comp=block|blocklist``: Azure's Put Block and Put Block List."""

    name = "blob"
    prefixes = ("/blob/",)

    def __init__(self, store: BlobStore, context: HostContext) -> None:
        self.store = store
        self.context = context

    def fault_response(self, request: web.Request, status: int) -> web.StreamResponse:
        """Azure Storage's XML error: ``ServerBusy`` when throttled, ``InternalError``."""
        code, message = STORAGE_FAULTS[status]
        response = _blob_error(status, code, message)
        response.headers.update(self.context.retry_headers(status))
        return response

    async def handle(self, request: web.Request) -> web.StreamResponse:
        now = self.context.now()
        file = self.store.files.get(request.path.split("/")[2])
        if file is None or request.query.get("sig") != file.signature or file.expires is None:
            return _blob_error(403, "AuthenticationFailed", _AUTH_FAILED, "Signature mismatch.")
        if now >= file.expires:
            detail = (
                "Signature not valid in the specified time frame: "
                f"Start [{_http_date(file.expires - self.store.sas_lifetime)}] - "
                f"Expiry [{_http_date(file.expires)}] - Current [{_http_date(now)}]"
            )
            return _blob_error(403, "AuthenticationFailed", _AUTH_FAILED, detail)
        if request.method != "PUT":
            return _blob_error(
                405, "UnsupportedHttpVerb", "The resource doesn't support the specified HTTP verb."
            )
        if file.upload_state not in UPLOADABLE:
            return _blob_error(
                403, "AuthenticationFailed", "The SAS URI is not valid in the file's upload state."
            )
        comp = request.query.get("comp")
        data = await request.read()
        if comp == "block":
            return self._put_block(request, file, data)
        if comp == "blocklist":
            return self._put_block_list(file, data)
        return _blob_error(400, "InvalidQueryParameterValue", "comp must be block or blocklist.")

    def _put_block(self, request: web.Request, file: ContentFile, data: bytes) -> web.Response:
        block_id = request.query.get("blockid")
        if not block_id:
            return _blob_error(
                400,
                "InvalidQueryParameterValue",
                "Value for one of the query parameters specified in the request URI is invalid.",
            )
        if request.headers.get("x-ms-blob-type", "BlockBlob") != "BlockBlob":
            return _blob_error(400, "InvalidHeaderValue", "x-ms-blob-type must be BlockBlob.")
        problem = _block_id_problem(block_id, file.blocks)
        if problem is not None:
            return _blob_error(400, *problem)
        file.blocks[block_id] = len(data)
        file.block_data[block_id] = data
        self.store.writes += 1
        return web.Response(status=201, headers=_ok_headers())

    def _put_block_list(self, file: ContentFile, data: bytes) -> web.Response:
        try:
            root = ET.fromstring(data)  # noqa: S314  (local emulator input)
        except ET.ParseError:
            return _blob_error(
                400, "InvalidXmlDocument", "XML specified is not syntactically valid."
            )
        ids = [
            (node.text or "").strip()
            for node in root
            if node.tag in {"Latest", "Committed", "Uncommitted"}
        ]
        if root.tag != "BlockList" or not ids or any(i not in file.blocks for i in ids):
            return _blob_error(400, "InvalidBlockList", "The specified block list is invalid.")
        file.committed_bytes = sum(file.blocks[i] for i in ids)
        file.content = b"".join(file.block_data[i] for i in ids)
        self.store.writes += 1
        return web.Response(status=201, headers=_ok_headers())


def _ok_headers() -> dict[str, str]:
    return {"x-ms-request-id": str(uuid.uuid4()), "x-ms-version": "2019-12-12"}


def _http_date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def _block_id_problem(block_id: str, blocks: dict[str, int]) -> tuple[str, str] | None:
    """Azure's Put Block: the id is Base64, and every id of one blob has the same length."""
    try:
        base64.b64decode(block_id, validate=True)
    except ValueError:
        return (
            "InvalidQueryParameterValue",
            "Value for one of the query parameters specified in the request URI is invalid.",
        )
    if blocks and any(len(known) != len(block_id) for known in blocks):
        return ("InvalidBlobOrBlock", "The specified blob or block content is invalid.")
    return None


def _blob_error(status: int, code: str, message: str, detail: str | None = None) -> web.Response:
    extra = f"<AuthenticationErrorDetail>{detail}</AuthenticationErrorDetail>" if detail else ""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Error><Code>{code}</Code><Message>{message}\nRequestId:{uuid.uuid4()}\n"
        f"Time:{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S.%f0Z')}</Message>{extra}</Error>"
    )
    return web.Response(
        status=status,
        body=body.encode(),
        headers={"Content-Type": "application/xml", "x-ms-error-code": code},
    )
