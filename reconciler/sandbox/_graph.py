"""Emulated Microsoft Graph (the Intune apps slice) and the Entra ID token endpoint.

Speaks Graph's wire format for what the Intune connector uses: client-credentials tokens,
``deviceAppManagement/mobileApps`` (list with ``$filter=isof(...)``, ``$top``/``$skip`` and
``@odata.nextLink`` paging; create → 201 with a GUID id; get; patch → 204; delete → 204;
required-field and enum validation → 400 with Graph's error body, Intune-style JSON inside
``message``), ``/assign`` (replaces the whole list) and ``/assignments``, the LOB content
upload flow (content versions, files whose ``uploadState`` moves on when polled, an
Azure-blob-like storage endpoint taking ``comp=block`` / ``comp=blocklist``, commit with
``fileEncryptionInfo``), and ``$batch`` (≤ 20 requests, answered in any order, each with
its own status; 424 when a ``dependsOn`` request failed). Every answer carries
``request-id`` and echoes ``client-request-id``.

Requests are handled by :class:`GraphCore` (plain method/path/body → status/body), so that
``$batch`` runs the very same handlers as direct calls; :func:`add_routes` adapts it to
aiohttp.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from aiohttp import web

from reconciler.sandbox._fleet import WindowsFleet, intent_for

APP_TYPES = frozenset(
    {
        "#microsoft.graph.win32LobApp",
        "#microsoft.graph.macOSLobApp",
        "#microsoft.graph.macOSDmgApp",
        "#microsoft.graph.macOSPkgApp",
    }
)
INTENTS = frozenset({"available", "required", "uninstall", "availableWithoutEnrollment"})
TARGETS = frozenset(
    {
        "#microsoft.graph.groupAssignmentTarget",
        "#microsoft.graph.exclusionGroupAssignmentTarget",
        "#microsoft.graph.allDevicesAssignmentTarget",
        "#microsoft.graph.allLicensedUsersAssignmentTarget",
    }
)
REQUIRED_WIN32 = (
    "displayName",
    "publisher",
    "fileName",
    "setupFilePath",
    "installCommandLine",
    "uninstallCommandLine",
    "rules",
)
MAX_PAGE = 100
MAX_BATCH = 20
Reply = tuple[int, Any]
REPORT_COLUMNS = (
    ("DeviceName", "String"),
    ("DeviceId", "String"),
    ("UserPrincipalName", "String"),
    ("Platform", "String"),
    ("AppVersion", "String"),
    ("AppInstallState", "Int32"),
    ("AppInstallState_loc", "String"),
    ("AppInstallStateDetails", "String"),
    ("HexErrorCode", "String"),
    ("LastModifiedDateTime", "DateTime"),
)
STATES: Final = MappingProxyType(
    {"installed": 1, "failed": 2, "notInstalled": 3, "pendingInstall": 5}
)
LABELS: Final = MappingProxyType(
    {
        "installed": "Installed",
        "failed": "Failed",
        "notInstalled": "Not installed",
        "pendingInstall": "Install pending",
    }
)


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _intune(message: str) -> str:
    """Intune puts its own JSON document inside Graph's error message."""
    return json.dumps({"_version": 3, "Message": message, "CustomApiErrorPhrase": ""})


@dataclass
class ContentFile:
    id: str
    name: str
    size: int
    upload_state: str = "azureStorageUriRequestPending"
    blocks: dict[str, bytes] = field(default_factory=dict)
    committed: bytes | None = None


@dataclass
class GraphState:
    """Everything the emulated Intune tenant holds."""

    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    token_lifetime: int = 3599
    tokens: dict[str, float] = field(default_factory=dict)
    apps: dict[str, dict[str, Any]] = field(default_factory=dict)
    assignments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    content: dict[str, dict[str, dict[str, ContentFile]]] = field(default_factory=dict)
    blobs: dict[str, ContentFile] = field(default_factory=dict)
    fleet: WindowsFleet = field(default_factory=lambda: WindowsFleet(0))
    requests: int = 0
    writes: int = 0


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GraphCore:
    """Graph's behaviour, independent of the HTTP server."""

    def __init__(self, state: GraphState, public_url: Callable[[], str]) -> None:
        self.state = state
        self.public_url = public_url
        app = r"/deviceAppManagement/mobileApps"
        one = app + r"/(?P<id>[0-9a-f-]{36})"
        content = one + r"/(?P<type>microsoft\.graph\.\w+)/contentVersions"
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Reply], bool]] = [
            ("GET", re.compile(app), self.list_apps, False),
            ("POST", re.compile(app), self.create_app, True),
            ("GET", re.compile(one), self.get_app, False),
            ("PATCH", re.compile(one), self.patch_app, True),
            ("DELETE", re.compile(one), self.delete_app, True),
            ("POST", re.compile(one + "/assign"), self.assign, True),
            ("GET", re.compile(one + "/assignments"), self.list_assignments, False),
            ("POST", re.compile(content), self.create_content_version, True),
            ("POST", re.compile(content + r"/(?P<cv>\d+)/files"), self.create_file, True),
            (
                "GET",
                re.compile(content + r"/(?P<cv>\d+)/files/(?P<file>[0-9a-f-]{36})"),
                self.get_file,
                False,
            ),
            (
                "POST",
                re.compile(content + r"/(?P<cv>\d+)/files/(?P<file>[0-9a-f-]{36})/commit"),
                self.commit_file,
                True,
            ),
            (
                "GET",
                re.compile(r"/groups/(?P<group>[0-9a-fA-F-]{36})/members"),
                self.group_members,
                False,
            ),
            ("GET", re.compile(r"/deviceManagement/managedDevices"), self.managed_devices, False),
            (
                "POST",
                re.compile(
                    r"/deviceManagement/reports/"
                    r"(?:retrieveDeviceAppInstallationStatusReport|getDeviceInstallStatusReport)"
                ),
                self.install_report,
                False,
            ),
        ]

    # --- dispatch --------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        token: str | None,
        version: str,
    ) -> Reply:
        self.state.requests += 1
        try:
            self._authorize(token)
            if method == "POST" and path == "/$batch":
                return self.batch(body, token, version)
            for verb, pattern, handler, write in self.routes:
                match = pattern.fullmatch(path)
                if match and verb == method:
                    self.state.writes += int(write)
                    return handler(query=query, body=body, version=version, **match.groupdict())
            for _, pattern, _, _ in self.routes:
                if pattern.fullmatch(path):
                    raise GraphError(405, "MethodNotAllowed", f"{method} is not allowed on {path}")
            raise GraphError(
                400,
                "BadRequest",
                f"Resource not found for the segment '{path.strip('/').split('/')[-1]}'.",
            )
        except GraphError as error:
            return error.status, {
                "error": {
                    "code": error.code,
                    "message": error.message,
                    "innerError": {"date": _now(), "request-id": str(uuid.uuid4())},
                }
            }

    def _authorize(self, token: str | None) -> None:
        expires = self.state.tokens.get(token or "")
        if expires is None:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        if expires < time.time():
            raise GraphError(
                401,
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
            )

    def issue_token(self, form: dict[str, str], tenant: str) -> Reply:
        if tenant not in (self.state.tenant_id, "organizations"):
            return 400, {
                "error": "invalid_request",
                "error_description": "AADSTS90002: Tenant not found.",
            }
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003"}
        if (
            form.get("client_id") != self.state.client_id
            or form.get("client_secret") != self.state.client_secret
        ):
            return 401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            }
        token = secrets.token_urlsafe(32)
        self.state.tokens[token] = time.time() + self.state.token_lifetime
        lifetime = self.state.token_lifetime
        return 200, {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }

    # --- apps ------------------------------------------------------------------

    def _app(self, id: str) -> dict[str, Any]:
        app = self.state.apps.get(id)
        if app is None:
            raise GraphError(404, "ResourceNotFound", f"The mobileApp {id} was not found.")
        return app

    @staticmethod
    def _object(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Unable to read JSON request payload.")
        return body

    def list_apps(self, *, query: dict[str, str], version: str, **_: Any) -> Reply:
        apps = sorted(self.state.apps.values(), key=lambda a: a["id"])
        flt = query.get("$filter")
        if flt:
            match = re.fullmatch(r"isof\('([\w.]+)'\)", flt.strip())
            if not match:
                raise GraphError(400, "BadRequest", f"Invalid filter clause: {flt}")
            apps = [a for a in apps if a["@odata.type"] == "#" + match[1]]
        try:
            top = min(int(query.get("$top", MAX_PAGE)), MAX_PAGE)
            skip = int(query.get("$skip", 0))
        except ValueError as exc:
            raise GraphError(400, "BadRequest", "Invalid $top or $skip") from exc
        metadata = f"{self.public_url()}/{version}/$metadata"
        body: dict[str, Any] = {
            "@odata.context": f"{metadata}#deviceAppManagement/mobileApps",
            "value": apps[skip : skip + top],
        }
        if skip + top < len(apps):
            params = {**query, "$top": str(top), "$skip": str(skip + top)}
            body["@odata.nextLink"] = (
                f"{self.public_url()}/{version}/deviceAppManagement/mobileApps?{urlencode(params)}"
            )
        return 200, body

    def create_app(self, *, body: Any, **_: Any) -> Reply:
        data = self._object(body)
        kind = data.get("@odata.type")
        if kind not in APP_TYPES:
            raise GraphError(
                400, "BadRequest", _intune(f"Unsupported or missing @odata.type {kind!r}")
            )
        required = (
            REQUIRED_WIN32
            if kind == "#microsoft.graph.win32LobApp"
            else ("displayName", "publisher")
        )
        missing = [name for name in required if not data.get(name)]
        if missing:
            raise GraphError(
                400, "BadRequest", _intune(f"Required property missing: {', '.join(missing)}")
            )
        app_id, now = str(uuid.uuid4()), _now()
        app = {
            **data,
            "id": app_id,
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "publishingState": "notPublished",
            "committedContentVersion": None,
            "isAssigned": False,
        }
        self.state.apps[app_id] = app
        self.state.assignments[app_id] = []
        return 201, app

    def get_app(self, *, id: str, **_: Any) -> Reply:
        return 200, self._app(id)

    def patch_app(self, *, id: str, body: Any, **_: Any) -> Reply:
        app = self._app(id)
        data = dict(self._object(body))
        if data.get("@odata.type", app["@odata.type"]) != app["@odata.type"]:
            raise GraphError(400, "BadRequest", "@odata.type cannot change")
        for key in ("id", "createdDateTime", "publishingState", "isAssigned"):
            data.pop(key, None)
        version = data.get("committedContentVersion")
        if version is not None:
            files = self.state.content.get(id, {}).get(str(version))
            if not files or any(f.upload_state != "commitFileSuccess" for f in files.values()):
                raise GraphError(
                    400, "BadRequest", _intune(f"Content version {version} is not committed.")
                )
            app["publishingState"] = "published"
        app.update(data)
        app["lastModifiedDateTime"] = _now()
        return 204, None

    def delete_app(self, *, id: str, **_: Any) -> Reply:
        self._app(id)
        del self.state.apps[id]
        self.state.assignments.pop(id, None)
        return 204, None

    # --- assignments -----------------------------------------------------------

    def assign(self, *, id: str, body: Any, **_: Any) -> Reply:
        app = self._app(id)
        items = self._object(body).get("mobileAppAssignments")
        if not isinstance(items, list):
            raise GraphError(400, "BadRequest", "mobileAppAssignments is required")
        result = []
        for item in items:
            intent = item.get("intent") if isinstance(item, dict) else None
            target = (item.get("target") if isinstance(item, dict) else None) or {}
            if intent not in INTENTS:
                raise GraphError(400, "BadRequest", f"Invalid value '{intent}' for intent")
            kind = target.get("@odata.type")
            if kind not in TARGETS:
                raise GraphError(400, "BadRequest", f"Invalid target type '{kind}'")
            if "group" in kind.lower() and not target.get("groupId"):
                raise GraphError(400, "BadRequest", "groupId is required for a group target")
            if intent != "uninstall" and app["publishingState"] != "published":
                raise GraphError(
                    400, "BadRequest", _intune("The app is not published and cannot be assigned.")
                )
            key = target.get("groupId") or kind.split(".")[-1]
            result.append(
                {
                    "@odata.type": "#microsoft.graph.mobileAppAssignment",
                    "id": f"{key}_{sorted(INTENTS).index(intent)}_0",
                    "intent": intent,
                    "target": target,
                    "settings": item.get("settings"),
                }
            )
        self.state.assignments[id] = result
        app["isAssigned"] = bool(result)
        return 204, None

    def list_assignments(self, *, id: str, version: str, **_: Any) -> Reply:
        self._app(id)
        metadata = f"{self.public_url()}/{version}/$metadata"
        context = f"{metadata}#deviceAppManagement/mobileApps('{id}')/assignments"
        return 200, {"@odata.context": context, "value": self.state.assignments.get(id, [])}

    # --- content upload --------------------------------------------------------

    def create_content_version(self, *, id: str, **_: Any) -> Reply:
        self._app(id)
        versions = self.state.content.setdefault(id, {})
        number = str(len(versions) + 1)
        versions[number] = {}
        return 201, {"@odata.type": "#microsoft.graph.mobileAppContent", "id": number}

    def _files(self, id: str, cv: str) -> dict[str, ContentFile]:
        self._app(id)
        files = self.state.content.get(id, {}).get(cv)
        if files is None:
            raise GraphError(404, "ResourceNotFound", f"The content version {cv} was not found.")
        return files

    def _file_json(self, item: ContentFile) -> dict[str, Any]:
        uri = None
        if item.upload_state != "azureStorageUriRequestPending":
            uri = (
                f"{self.public_url()}/_storage/{item.id}"
                f"?sv=2021-08-06&se=2099-01-01T00%3A00%3A00Z&sr=b&sp=w&sig={secrets.token_urlsafe(12)}"
            )
        return {
            "@odata.type": "#microsoft.graph.mobileAppContentFile",
            "id": item.id,
            "name": item.name,
            "size": item.size,
            "sizeEncrypted": item.size,
            "isCommitted": item.upload_state == "commitFileSuccess",
            "uploadState": item.upload_state,
            "azureStorageUri": uri,
            "azureStorageUriExpirationDateTime": "2099-01-01T00:00:00Z" if uri else None,
            "manifest": None,
        }

    def create_file(self, *, id: str, cv: str, body: Any, **_: Any) -> Reply:
        files = self._files(id, cv)
        data = self._object(body)
        for name in ("name", "size", "sizeEncrypted"):
            if name not in data:
                raise GraphError(400, "BadRequest", f"{name} is required")
        item = ContentFile(str(uuid.uuid4()), str(data["name"]), int(data["sizeEncrypted"]))
        files[item.id] = item
        self.state.blobs[item.id] = item
        return 201, self._file_json(item)

    def get_file(self, *, id: str, cv: str, file: str, **_: Any) -> Reply:
        item = self._files(id, cv).get(file)
        if item is None:
            raise GraphError(404, "ResourceNotFound", f"The file {file} was not found.")
        reply = self._file_json(item)
        # like the real service, pending states have moved on by the next poll
        if item.upload_state == "azureStorageUriRequestPending":
            item.upload_state = "azureStorageUriRequestSuccess"
        elif item.upload_state == "commitFilePending":
            item.upload_state = "commitFileSuccess"
        return 200, reply

    def commit_file(self, *, id: str, cv: str, file: str, body: Any, **_: Any) -> Reply:
        item = self._files(id, cv).get(file)
        if item is None:
            raise GraphError(404, "ResourceNotFound", f"The file {file} was not found.")
        info = self._object(body).get("fileEncryptionInfo")
        needed = ("encryptionKey", "macKey", "initializationVector", "mac", "fileDigest")
        if not isinstance(info, dict) or any(not info.get(k) for k in needed):
            raise GraphError(400, "BadRequest", "fileEncryptionInfo is incomplete")
        complete = item.committed is not None and len(item.committed) == item.size
        item.upload_state = "commitFilePending" if complete else "commitFileFailed"
        return 204, None

    def put_blob(
        self, blob: str, query: dict[str, str], headers: dict[str, str], data: bytes
    ) -> int:
        item = self.state.blobs.get(blob)
        if item is None or not query.get("sig"):
            return 403
        comp = query.get("comp")
        if comp == "block":
            block_id = query.get("blockid", "")
            if headers.get("x-ms-blob-type", "BlockBlob") != "BlockBlob" or not block_id:
                return 400
            item.blocks[block_id] = data
            return 201
        if comp == "blocklist":
            ids = re.findall(
                r"<(?:Latest|Committed|Uncommitted)>([^<]+)</", data.decode("utf-8", "replace")
            )
            if not ids or any(i not in item.blocks for i in ids):
                return 400
            item.committed = b"".join(item.blocks[i] for i in ids)
            return 201
        return 400

    # --- fleet: groups, devices, install reports -------------------------------

    def _page(
        self, items: list[dict[str, Any]], query: dict[str, str], path: str, version: str
    ) -> Reply:
        try:
            top = min(int(query.get("$top", MAX_PAGE)), 999)
            skip = int(query.get("$skip", 0))
        except ValueError as exc:
            raise GraphError(400, "BadRequest", "Invalid $top or $skip") from exc
        body: dict[str, Any] = {"value": items[skip : skip + top]}
        if skip + top < len(items):
            params = {**query, "$top": str(top), "$skip": str(skip + top)}
            body["@odata.nextLink"] = f"{self.public_url()}/{version}{path}?{urlencode(params)}"
        return 200, body

    def group_members(self, *, group: str, query: dict[str, str], version: str, **_: Any) -> Reply:
        members = [
            {
                "@odata.type": "#microsoft.graph.device",
                "id": d.object_id,
                "deviceId": d.azure_ad_device_id,
                "displayName": d.name,
                "operatingSystem": "Windows",
            }
            for d in self.state.fleet.devices
            if d.group_id == group
        ]
        return self._page(members, query, f"/groups/{group}/members", version)

    def managed_devices(self, *, query: dict[str, str], version: str, **_: Any) -> Reply:
        devices = [
            {
                "id": d.id,
                "deviceName": d.name,
                "operatingSystem": "Windows",
                "osVersion": "10.0.22631.4460",
                "azureADDeviceId": d.azure_ad_device_id,
                "complianceState": "compliant",
                "lastSyncDateTime": (d.next_check_in - timedelta(hours=d.check_in_every)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
                "userPrincipalName": f"{d.name.lower()}@contoso.example",
                "serialNumber": d.name[-5:],
                "model": "Latitude 7440",
            }
            for d in self.state.fleet.devices
        ]
        return self._page(devices, query, "/deviceManagement/managedDevices", version)

    def install_report(self, *, body: Any, **_: Any) -> Reply:
        data = self._object(body)
        match = re.search(r"ApplicationId eq '([0-9a-f-]{36})'", str(data.get("filter", "")))
        if not match:
            raise GraphError(400, "BadRequest", "filter must name an ApplicationId")
        app = self._app(match[1])
        items = self.state.assignments.get(app["id"], [])
        rows = []
        for device in self.state.fleet.devices:
            intent = intent_for(device, items)
            record = self.state.fleet.installs.get((device.id, app["id"]))
            if intent is None and record is None:
                continue
            state = record.state if record else "pendingInstall"
            when = (record.at if record else self.state.fleet.now).strftime("%Y-%m-%dT%H:%M:%S")
            rows.append(
                [
                    device.name,
                    device.id,
                    f"{device.name.lower()}@contoso.example",
                    "Windows",
                    str(app.get("displayVersion") or ""),
                    STATES[state],
                    LABELS[state],
                    "",
                    record.error if record else "",
                    when,
                ]
            )
        columns = REPORT_COLUMNS
        wanted = data.get("select") or [c for c, _ in columns]
        index = [i for i, (c, _) in enumerate(columns) if c in wanted]
        skip, top = int(data.get("skip", 0)), int(data.get("top", 50))
        return 200, {
            "TotalRowCount": len(rows),
            "Schema": [{"Column": columns[i][0], "PropertyType": columns[i][1]} for i in index],
            "Values": [[row[i] for i in index] for row in rows[skip : skip + top]],
            "SessionId": "",
        }

    # --- $batch ----------------------------------------------------------------

    def batch(self, body: Any, token: str | None, version: str) -> Reply:
        items = self._object(body).get("requests")
        if not isinstance(items, list) or not items:
            raise GraphError(400, "BadRequest", "Invalid batch payload format.")
        if len(items) > MAX_BATCH:
            raise GraphError(
                400,
                "BadRequest",
                f"Number of batch request steps exceeds the maximum of {MAX_BATCH}.",
            )
        done: dict[str, dict[str, Any]] = {}
        for item in items:
            rid = str(item.get("id"))
            if any(
                done.get(str(d), {}).get("status", 200) >= 400 for d in item.get("dependsOn") or ()
            ):
                done[rid] = {
                    "id": rid,
                    "status": 424,
                    "headers": {},
                    "body": {
                        "error": {
                            "code": "FailedDependency",
                            "message": "A dependent request failed.",
                        }
                    },
                }
                continue
            parts = urlsplit("/" + str(item.get("url", "")).lstrip("/"))
            status, reply = self.handle(
                str(item.get("method", "GET")).upper(),
                parts.path,
                dict(parse_qsl(parts.query)),
                item.get("body"),
                token,
                version,
            )
            self.state.requests -= 1  # counted once, as the outer request
            headers = {"Content-Type": "application/json"} if reply is not None else {}
            done[rid] = {"id": rid, "status": status, "headers": headers, "body": reply}
        # Graph may answer in any order; reversing keeps clients honest about that
        return 200, {"responses": list(reversed(done.values()))}


def add_routes(app: web.Application, core: GraphCore) -> None:
    async def token(request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        status, body = core.issue_token(form, request.match_info["tenant"])
        return web.json_response(body, status=status)

    async def graph(request: web.Request) -> web.Response:
        version = request.match_info["version"]
        body: Any = None
        if request.can_read_body:
            try:
                body = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                body = ...
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
        status, reply = core.handle(
            request.method,
            "/" + request.match_info["tail"],
            dict(request.query),
            None if body is ... else body,
            token,
            version,
        )
        ids = {
            "request-id": str(uuid.uuid4()),
            "client-request-id": request.headers.get("client-request-id", ""),
        }
        if reply is None:
            return web.Response(status=status, headers=ids)
        return web.json_response(reply, status=status, headers=ids)

    async def storage(request: web.Request) -> web.Response:
        status = core.put_blob(
            request.match_info["blob"],
            dict(request.query),
            dict(request.headers),
            await request.read(),
        )
        return web.Response(status=status)

    app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
    app.router.add_route("*", "/{version:v1\\.0|beta}/{tail:.*}", graph)
    app.router.add_put("/_storage/{blob}", storage)
