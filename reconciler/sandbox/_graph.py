"""Emulated Microsoft Graph (Intune): mobile apps, content upload, assignments, groups,
managed devices, reports and ``$batch``.

Each handler takes a parsed request and returns a :class:`Reply`; the aiohttp layer in
:mod:`._server` and ``$batch`` both call :meth:`GraphService.handle`. Payload shapes,
status codes and error bodies follow Graph v1.0 (and beta where the reconciler uses it).
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from reconciler.sandbox import _odata
from reconciler.sandbox._fleet import Device, iso, stable_uuid
from reconciler.sandbox._wire import Reply, graph_error

LOB_TYPES = {
    "#microsoft.graph.win32LobApp": "windows",
    "#microsoft.graph.macOSLobApp": "macos",
    "#microsoft.graph.macOSDmgApp": "macos",
    "#microsoft.graph.macOSPkgApp": "macos",
}
INTENTS = {"available", "required", "uninstall", "availableWithoutEnrollment"}
TARGET_TYPES = {
    "#microsoft.graph.groupAssignmentTarget",
    "#microsoft.graph.exclusionGroupAssignmentTarget",
    "#microsoft.graph.allDevicesAssignmentTarget",
    "#microsoft.graph.allLicensedUsersAssignmentTarget",
}
#: minimumSupportedWindowsRelease as the portal and real clients (IntuneWin32App) send it;
#: the property is a plain string in the schema, the Intune service checks the value
WINDOWS_RELEASES = {
    "1607", "1703", "1709", "1803", "1809", "1903", "1909", "2004", "2H20", "21H1",
    "Windows10_21H2", "Windows10_22H2", "Windows11_21H2", "Windows11_22H2", "Windows11_23H2",
    "Windows11_24H2",
}  # fmt: skip
PUBLISHING_NOT_PUBLISHED = (
    '{"_version": 3, "Message": "Invalid operation: app\'s PublishingState is not '
    '\'Published\'", "CustomApiErrorPhrase": "", "RetryAfter": null}'
)
RULE_TYPES = {
    "#microsoft.graph.win32LobAppFileSystemRule",
    "#microsoft.graph.win32LobAppRegistryRule",
    "#microsoft.graph.win32LobAppProductCodeRule",
    "#microsoft.graph.win32LobAppPowerShellScriptRule",
}
READ_ONLY = {
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "publishingState",
    "uploadState",
    "size",
    "isAssigned",
    "dependentAppCount",
    "supersedingAppCount",
    "supersededAppCount",
}
DEFAULT_RETURN_CODES = [
    {"returnCode": 0, "type": "success"},
    {"returnCode": 1707, "type": "success"},
    {"returnCode": 3010, "type": "softReboot"},
    {"returnCode": 1641, "type": "hardReboot"},
    {"returnCode": 1618, "type": "retry"},
]
STATE_LOC = {
    "installed": "Installed",
    "failed": "Failed",
    "notInstalled": "Not installed",
    "uninstallFailed": "Uninstall failed",
    "pendingInstall": "Install pending",
    "unknown": "Unknown",
    "notApplicable": "Not applicable",
}
REPORT_COLUMNS = [
    ("DeviceName", "String"),
    ("UserPrincipalName", "String"),
    ("Platform", "String"),
    ("AppVersion", "String"),
    ("DeviceId", "String"),
    ("AssignmentFilterIdsExist", "Boolean"),
    ("LastModifiedDateTime", "DateTime"),
    ("AppInstallState", "Int32"),
    ("AppInstallStateDetails", "Int32"),
    ("HexErrorCode", "String"),
    ("ErrorCode", "Int32"),
    ("UserName", "String"),
    ("ApplicationId", "String"),
]
STATE_CODES = {
    "installed": 1,
    "failed": 2,
    "notInstalled": 3,
    "uninstallFailed": 4,
    "pendingInstall": 5,
    "unknown": 99,
    "notApplicable": 6,
}
MAX_BATCH = 20
#: every tenant has the built-in scope tag "Default" (id "0"), which new apps carry
DEFAULT_SCOPE_TAG = {
    "@odata.type": "#microsoft.graph.roleScopeTag",
    "id": "0",
    "displayName": "Default",
    "description": "Built-in scope tag",
    "isBuiltIn": True,
}
#: localized companions of report columns: answered with their base column, never selectable
LOCALIZED = {
    "AppInstallState": "AppInstallState_loc",
    "AppInstallStateDetails": "AppInstallStateDetails_loc",
}
#: an upload's SAS URI is valid this long (simulated clock); clients renew it
SAS_LIFETIME = timedelta(minutes=10)


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


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
class App:
    data: dict[str, Any]
    assignments: list[dict[str, Any]] = field(default_factory=list)
    content_versions: dict[str, dict[str, ContentFile]] = field(default_factory=dict)
    beta_only: bool = False
    #: reads left until a committed app turns from processing to published
    publish_in: int = 0


@dataclass
class Group:
    id: str
    data: dict[str, Any]
    members: list[str] = field(default_factory=list)  # directory object ids


Route = tuple[str, re.Pattern[str], Callable[..., Reply]]


class GraphService:
    """State and handlers of the emulated Graph tenant."""

    def __init__(
        self,
        devices: list[Device],
        now: Callable[[], datetime],
        page_size: int = 100,
        seed: int = 0,
        publish_after_reads: int = 2,
        sas_lifetime: timedelta = SAS_LIFETIME,
    ) -> None:
        self.seed = seed
        self.publish_after_reads = publish_after_reads
        self.sas_lifetime = sas_lifetime
        self._serial = 0
        self.targeting: Callable[[str], dict[str, str]] | None = None
        self.apps: dict[str, App] = {}
        self.groups: dict[str, Group] = {}
        self.devices = [d for d in devices if d.platform == "windows"]
        self.device_objects = {d.object_id: d for d in self.devices}
        self.now = now
        self.page_size = page_size
        self.base_url = ""
        self.writes = 0
        r = re.compile
        app = r"/deviceAppManagement/mobileApps/(?P<app>[^/]+)"
        cv = app + r"/(?P<t>microsoft\.graph\.[A-Za-z0-9]+)/contentVersions"
        self.routes: list[Route] = [
            ("GET", r(r"/deviceAppManagement/mobileApps"), self.list_apps),
            ("POST", r(r"/deviceAppManagement/mobileApps"), self.create_app),
            ("GET", r(app), self.get_app),
            ("PATCH", r(app), self.patch_app),
            ("DELETE", r(app), self.delete_app),
            ("POST", r(app + "/assign"), self.assign),
            ("GET", r(app + "/assignments"), self.list_assignments),
            ("GET", r(app + r"/assignments/(?P<aid>[^/]+)"), self.get_assignment),
            ("POST", r(cv), self.create_content_version),
            ("GET", r(cv), self.list_content_versions),
            ("GET", r(cv + r"/(?P<cv>[^/]+)"), self.get_content_version),
            ("POST", r(cv + r"/(?P<cv>[^/]+)/files"), self.create_file),
            ("GET", r(cv + r"/(?P<cv>[^/]+)/files"), self.list_files),
            ("GET", r(cv + r"/(?P<cv>[^/]+)/files/(?P<f>[^/]+)"), self.get_file),
            ("POST", r(cv + r"/(?P<cv>[^/]+)/files/(?P<f>[^/]+)/commit"), self.commit_file),
            ("POST", r(cv + r"/(?P<cv>[^/]+)/files/(?P<f>[^/]+)/renewUpload"), self.renew_upload),
            ("GET", r(r"/groups"), self.list_groups),
            ("POST", r(r"/groups"), self.create_group),
            ("GET", r(r"/groups/(?P<g>[^/]+)"), self.get_group),
            ("GET", r(r"/groups/(?P<g>[^/]+)/members"), self.list_members),
            ("POST", r(r"/groups/(?P<g>[^/]+)/members/\$ref"), self.add_member),
            ("DELETE", r(r"/groups/(?P<g>[^/]+)/members/(?P<m>[^/]+)/\$ref"), self.remove_member),
            ("GET", r(r"/devices"), self.list_directory_devices),
            ("GET", r(r"/deviceManagement/roleScopeTags"), self.list_scope_tags),
            ("GET", r(r"/deviceManagement/roleScopeTags/(?P<tag>[^/]+)"), self.get_scope_tag),
            ("GET", r(r"/deviceManagement/managedDevices"), self.list_managed_devices),
            ("GET", r(r"/deviceManagement/managedDevices/(?P<d>[^/]+)"), self.get_managed_device),
            (
                "POST",
                r(
                    r"/deviceManagement/reports/(?P<report>retrieveDeviceAppInstallationStatusReport|getDeviceInstallStatusReport)"
                ),
                self.report,
            ),
        ]

    # ---------------------------------------------------------------- dispatch
    def handle(
        self, method: str, version: str, path: str, query: dict[str, str], body: Any
    ) -> Reply:
        if path != "/" and path.endswith("/"):
            path = path.rstrip("/")
        known_path = False
        for verb, pattern, handler in self.routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            known_path = True
            if verb != method:
                continue
            try:
                return handler(version=version, query=query, body=body, **match.groupdict())
            except GraphError as exc:
                return graph_error(exc.status, exc.code, exc.message)
        if known_path:
            return graph_error(
                405, "Request_BadRequest", f"The HTTP method '{method}' is not allowed."
            )
        return graph_error(
            400, "BadRequest", f"Resource not found for the segment '{path.rsplit('/', 1)[-1]}'."
        )

    # ---------------------------------------------------------------- helpers
    def new_id(self, kind: str) -> str:
        """GUIDs derived from the seed, so a replayed request sequence gives the same ids."""
        self._serial += 1
        return stable_uuid(self.seed, kind, self._serial)

    def _context(self, version: str, entity: str) -> str:
        return f"{self.base_url}/{version}/$metadata#{entity}"

    def _page(
        self,
        version: str,
        path: str,
        query: dict[str, str],
        items: list[Any],
        entity: str,
        render: Callable[[Any], dict[str, Any]] | None = None,
    ) -> Reply:
        top = self._int(query, "$top", self.page_size)
        skip = self._int(query, "$skip", 0)
        top = max(1, min(top, 999))
        window = items[skip : skip + top]
        if render is not None:
            window = [render(item) for item in window]
        body: dict[str, Any] = {"@odata.context": self._context(version, entity)}
        if "$count" in query and query["$count"].lower() == "true":
            body["@odata.count"] = len(items)
        body["value"] = window
        if skip + top < len(items):
            next_query = dict(query)
            next_query["$top"] = str(top)
            next_query["$skip"] = str(skip + top)
            body["@odata.nextLink"] = f"{self.base_url}/{version}{path}?{urlencode(next_query)}"
        return Reply(200, body)

    @staticmethod
    def _int(query: dict[str, str], name: str, default: int) -> int:
        if name not in query:
            return default
        try:
            value = int(query[name])
        except ValueError:
            raise GraphError(
                400, "BadRequest", f"Invalid value '{query[name]}' for {name}."
            ) from None
        if value < 0:
            raise GraphError(400, "BadRequest", f"Invalid value '{value}' for {name}.")
        return value

    def _app(self, app: str, version: str) -> App:
        found = self.apps.get(app)
        if found is None or (found.beta_only and version != "beta"):
            raise GraphError(
                404,
                "ResourceNotFound",
                f'{{"_version": 3, "Message": "Resource not found: mobileApp {app}", '
                f'"CustomApiErrorPhrase": "", "RetryAfter": null, "ErrorSourceService": "", '
                f'"HttpHeaders": "{{}}"}}',
            )
        return found

    def _render_app(self, app: App, version: str) -> dict[str, Any]:
        """The app as Graph returns it in ``version``: every property that version declares
        for its type (null when unset), none it does not."""
        return _odata.render(version, app.data["@odata.type"], copy.deepcopy(app.data))

    def _observed(self, app: App) -> App:
        """A read: a committed app finishes publishing after a few of them."""
        if app.data.get("publishingState") == "processing":
            app.publish_in -= 1
            if app.publish_in <= 0:
                app.data["publishingState"] = "published"
        return app

    def publish_pending(self) -> None:
        """Time passes (the clock advanced): whatever was processing is published."""
        for app in self.apps.values():
            if app.data.get("publishingState") == "processing":
                app.data["publishingState"] = "published"

    # ---------------------------------------------------------------- apps
    def list_apps(self, *, version: str, query: dict[str, str], body: Any) -> Reply:
        apps = [
            self._observed(a) for a in self.apps.values() if version == "beta" or not a.beta_only
        ]
        items = [self._render_app(a, version) for a in apps]
        flt = query.get("$filter", "").strip()
        if flt:
            try:
                matches = _odata.filter_predicate(flt)
            except _odata.ODataError as exc:
                raise GraphError(400, "BadRequest", str(exc)) from None
            items = [item for item in items if matches(item)]
        items = [_selected(item, query) for item in items]
        return self._page(
            version,
            "/deviceAppManagement/mobileApps",
            query,
            items,
            "deviceAppManagement/mobileApps",
        )

    def create_app(self, *, version: str, query: dict[str, str], body: Any) -> Reply:
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Request body must be a JSON object.")
        odata_type = body.get("@odata.type")
        if odata_type not in LOB_TYPES:
            raise GraphError(
                400,
                "BadRequest",
                f"Unsupported or missing '@odata.type' {odata_type!r} for mobileApp "
                f"(supported: {', '.join(sorted(LOB_TYPES))}).",
            )
        if not _odata.declares(version, odata_type):
            raise GraphError(
                400,
                "BadRequest",
                f"A type named '{odata_type[1:]}' could not be resolved by the model. When a "
                "model is available, each type name must resolve to a valid type.",
            )
        _validate_odata(version, "mobileApp", body)
        _validate_app(body, creating=True)
        stamp = iso(self.now())
        data = {k: v for k, v in body.items() if k not in READ_ONLY}
        data.update(
            {
                "id": self.new_id("app"),
                "createdDateTime": stamp,
                "lastModifiedDateTime": stamp,
                "isFeatured": False,
                "publishingState": "notPublished",
                "committedContentVersion": None,
                "size": 0,
                "dependentAppCount": 0,
                "supersedingAppCount": 0,
                "supersededAppCount": 0,
                "isAssigned": False,
                "roleScopeTagIds": ["0"],
            }
        )
        data.setdefault("description", "")
        data.setdefault("notes", None)
        if odata_type == "#microsoft.graph.win32LobApp":
            data.setdefault("returnCodes", copy.deepcopy(DEFAULT_RETURN_CODES))
            data.setdefault("rules", [])
            data.setdefault("applicableArchitectures", "x64,x86")
            data.setdefault(
                "installExperience",
                {
                    "runAsAccount": "system",
                    "deviceRestartBehavior": "basedOnReturnCode",
                    "maxRunTimeInMinutes": 60,
                },
            )
        self.apps[data["id"]] = App(data, beta_only=not _odata.declares("v1.0", odata_type))
        self.writes += 1
        return Reply(
            201,
            self._render_app(self.apps[data["id"]], version)
            | {"@odata.context": self._context(version, "deviceAppManagement/mobileApps/$entity")},
        )

    def get_app(self, *, version: str, query: dict[str, str], body: Any, app: str) -> Reply:
        found = self._observed(self._app(app, version))
        result = _selected(self._render_app(found, version), query)
        if "assignments" in query.get("$expand", ""):
            result["assignments"] = copy.deepcopy(found.assignments)
        return Reply(
            200,
            {"@odata.context": self._context(version, "deviceAppManagement/mobileApps/$entity")}
            | result,
        )

    def patch_app(self, *, version: str, query: dict[str, str], body: Any, app: str) -> Reply:
        found = self._app(app, version)
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Request body must be a JSON object.")
        if "@odata.type" in body and body["@odata.type"] != found.data["@odata.type"]:
            raise GraphError(
                400,
                "BadRequest",
                f"'@odata.type' {body['@odata.type']!r} does not match the app's type "
                f"{found.data['@odata.type']!r}.",
            )
        _validate_odata(version, found.data["@odata.type"], body)
        _validate_app(body, creating=False)
        committed = body.get("committedContentVersion")
        if committed is not None:
            files = found.content_versions.get(str(committed))
            if files is None:
                raise GraphError(404, "ResourceNotFound", f"Content version {committed} not found.")
            if not files or any(f.upload_state != "commitFileSuccess" for f in files.values()):
                raise GraphError(
                    400,
                    "BadRequest",
                    f"Content version {committed} has files that are not committed.",
                )
        for key, value in body.items():
            if key in READ_ONLY or key == "@odata.type":
                continue
            found.data[key] = copy.deepcopy(value)
        if committed is not None:
            # publishing takes a while after the commit: assign is refused until then
            found.data["committedContentVersion"] = str(committed)
            found.data["publishingState"] = "processing"
            found.publish_in = self.publish_after_reads
            if found.publish_in <= 0:
                found.data["publishingState"] = "published"
            found.data["size"] = sum(
                f.size for f in found.content_versions[str(committed)].values()
            )
        found.data["lastModifiedDateTime"] = iso(self.now())
        self.writes += 1
        return Reply(204)

    def delete_app(self, *, version: str, query: dict[str, str], body: Any, app: str) -> Reply:
        self._app(app, version)
        del self.apps[app]
        for device in self.devices:
            device.app_states.pop(app, None)
        self.writes += 1
        return Reply(204)

    # ---------------------------------------------------------------- assignments
    def assign(self, *, version: str, query: dict[str, str], body: Any, app: str) -> Reply:
        found = self._app(app, version)
        entries = body.get("mobileAppAssignments") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            raise GraphError(
                400, "BadRequest", "Required parameter 'mobileAppAssignments' is missing."
            )
        if entries and found.data.get("publishingState") != "published":
            raise GraphError(400, "BadRequest", PUBLISHING_NOT_PUBLISHED)
        assignments = []
        seen: set[tuple[str, str | None]] = set()
        for entry in entries:
            assignment = _validate_assignment(entry, self.groups)
            key = (assignment["target"]["@odata.type"], assignment["target"].get("groupId"))
            if key in seen:
                raise GraphError(
                    400, "BadRequest", f"Duplicate assignment target {key[1] or key[0]}."
                )
            seen.add(key)
            assignment["id"] = f"{key[1] or 'adadadad-808e-44e2-905a-0b7873a8a531'}_0_0"
            assignments.append(assignment)
        found.assignments = assignments
        found.data["isAssigned"] = bool(assignments)
        self.writes += 1
        return Reply(204)

    def list_assignments(
        self, *, version: str, query: dict[str, str], body: Any, app: str
    ) -> Reply:
        found = self._app(app, version)
        return Reply(
            200,
            {
                "@odata.context": self._context(
                    version, f"deviceAppManagement/mobileApps('{app}')/assignments"
                ),
                "value": copy.deepcopy(found.assignments),
            },
        )

    def get_assignment(
        self, *, version: str, query: dict[str, str], body: Any, app: str, aid: str
    ) -> Reply:
        for assignment in self._app(app, version).assignments:
            if assignment["id"] == aid:
                return Reply(200, copy.deepcopy(assignment))
        raise GraphError(404, "ResourceNotFound", f"Assignment {aid} not found.")

    # ---------------------------------------------------------------- content
    def _typed(self, app: str, t: str, version: str) -> App:
        found = self._app(app, version)
        if "#" + t != found.data["@odata.type"]:
            raise GraphError(
                400, "BadRequest", f"Type cast segment '{t}' does not match the app's type."
            )
        return found

    def create_content_version(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str
    ) -> Reply:
        found = self._typed(app, t, version)
        cv = str(len(found.content_versions) + 1)
        found.content_versions[cv] = {}
        self.writes += 1
        return Reply(201, {"@odata.type": "#microsoft.graph.mobileAppContent", "id": cv})

    def list_content_versions(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str
    ) -> Reply:
        found = self._typed(app, t, version)
        return Reply(200, {"value": [{"id": cv} for cv in found.content_versions]})

    def get_content_version(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str, cv: str
    ) -> Reply:
        self._files(app, t, cv, version)
        return Reply(200, {"@odata.type": "#microsoft.graph.mobileAppContent", "id": cv})

    def _files(self, app: str, t: str, cv: str, version: str) -> dict[str, ContentFile]:
        found = self._typed(app, t, version)
        files = found.content_versions.get(cv)
        if files is None:
            raise GraphError(404, "ResourceNotFound", f"Content version {cv} not found.")
        return files

    def _file(self, app: str, t: str, cv: str, f: str, version: str) -> ContentFile:
        file = self._files(app, t, cv, version).get(f)
        if file is None:
            raise GraphError(404, "ResourceNotFound", f"Content file {f} not found.")
        return file

    def create_file(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str, cv: str
    ) -> Reply:
        files = self._files(app, t, cv, version)
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Request body must be a JSON object.")
        missing = [k for k in ("name", "size") if body.get(k) in (None, "")]
        if missing:
            raise GraphError(400, "BadRequest", f"Required property '{missing[0]}' is missing.")
        for key in ("size", "sizeEncrypted"):
            if key in body and (not isinstance(body[key], int) or body[key] < 0):
                raise GraphError(
                    400, "BadRequest", f"Property '{key}' must be a non-negative integer."
                )
        file = ContentFile(
            id=self.new_id("file"),
            name=str(body["name"]),
            size=int(body["size"]),
            size_encrypted=int(body.get("sizeEncrypted") or body["size"]),
            upload_state="azureStorageUriRequestPending",
            created=iso(self.now()),
        )
        files[file.id] = file
        self.blob_files[file.id] = file
        self.writes += 1
        return Reply(201, file.to_json(self.base_url))

    blob_files: dict[str, ContentFile]

    def list_files(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str, cv: str
    ) -> Reply:
        files = self._files(app, t, cv, version)
        return Reply(
            200, {"value": [self._advance_file(f).to_json(self.base_url) for f in files.values()]}
        )

    def get_file(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str, cv: str, f: str
    ) -> Reply:
        file = self._advance_file(self._file(app, t, cv, f, version))
        return Reply(200, file.to_json(self.base_url))

    def _advance_file(self, file: ContentFile) -> ContentFile:
        # Pending states resolve on the poll after the one that first sees them, like the
        # real service which answers "pending" at least once.
        file.polls += 1
        if file.upload_state.endswith("Pending") and file.upload_state.startswith("azure"):
            file.issue_sas(self.now(), self.sas_lifetime)
        if file.upload_state == "azureStorageUriRequestPending" and file.polls >= 1:
            file.upload_state = "azureStorageUriRequestSuccess"
        elif file.upload_state == "azureStorageUriRenewalPending" and file.polls >= 1:
            file.upload_state = "azureStorageUriRenewalSuccess"
        elif file.upload_state == "commitFilePending":
            if file.committed_bytes == file.size_encrypted:
                file.upload_state = "commitFileSuccess"
            else:
                file.upload_state = "commitFileFailed"
        return file

    def commit_file(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str, cv: str, f: str
    ) -> Reply:
        file = self._file(app, t, cv, f, version)
        if not isinstance(body, dict) or not isinstance(body.get("fileEncryptionInfo"), dict):
            raise GraphError(
                400, "BadRequest", "Required parameter 'fileEncryptionInfo' is missing."
            )
        _require_uploadable(file, "it cannot be committed now")
        if file.committed_bytes < 0:
            raise GraphError(
                400, "BadRequest", "No block list has been committed to the storage URI."
            )
        file.upload_state = "commitFilePending"
        file.polls = 0
        self.writes += 1
        return Reply(204)

    def renew_upload(
        self, *, version: str, query: dict[str, str], body: Any, app: str, t: str, cv: str, f: str
    ) -> Reply:
        file = self._file(app, t, cv, f, version)
        _require_uploadable(file, "its storage URI cannot be renewed now")
        file.upload_state = "azureStorageUriRenewalPending"
        file.polls = 0
        self.writes += 1
        return Reply(204)

    # ---------------------------------------------------------------- groups
    def _group(self, g: str) -> Group:
        group = self.groups.get(g)
        if group is None:
            raise GraphError(
                404,
                "Request_ResourceNotFound",
                (
                    f"Resource '{g}' does not exist or one of its "
                    "queried reference-property objects are not present."
                ),
            )
        return group

    def list_groups(self, *, version: str, query: dict[str, str], body: Any) -> Reply:
        items = [copy.deepcopy(g.data) for g in self.groups.values()]
        return self._page(version, "/groups", query, items, "groups")

    def create_group(self, *, version: str, query: dict[str, str], body: Any) -> Reply:
        if not isinstance(body, dict):
            raise GraphError(400, "Request_BadRequest", "Request body must be a JSON object.")
        for key in ("displayName", "mailNickname", "mailEnabled", "securityEnabled"):
            if key not in body:
                raise GraphError(
                    400,
                    "Request_BadRequest",
                    f"Invalid value specified for property '{key}' of resource 'Group'.",
                )
        group_id = self.new_id("group")
        self.groups[group_id] = Group(group_id, _group_json(group_id, body, iso(self.now())))
        self.writes += 1
        return Reply(201, copy.deepcopy(self.groups[group_id].data))

    def get_group(self, *, version: str, query: dict[str, str], body: Any, g: str) -> Reply:
        return Reply(200, copy.deepcopy(self._group(g).data))

    def list_members(self, *, version: str, query: dict[str, str], body: Any, g: str) -> Reply:
        group = self._group(g)
        items = [
            _directory_device(self.device_objects[m])
            for m in group.members
            if m in self.device_objects
        ]
        return self._page(version, f"/groups/{g}/members", query, items, "directoryObjects")

    def add_member(self, *, version: str, query: dict[str, str], body: Any, g: str) -> Reply:
        group = self._group(g)
        ref = body.get("@odata.id") if isinstance(body, dict) else None
        if not isinstance(ref, str) or "/" not in ref:
            raise GraphError(400, "Request_BadRequest", "Missing or invalid '@odata.id' reference.")
        object_id = ref.rstrip("/").rsplit("/", 1)[-1]
        if object_id not in self.device_objects:
            raise GraphError(
                404,
                "Request_ResourceNotFound",
                (
                    f"Resource '{object_id}' does not exist or one of its "
                    "queried reference-property objects are not present."
                ),
            )
        if object_id in group.members:
            raise GraphError(
                400,
                "Request_BadRequest",
                (
                    "One or more added object references already exist "
                    "for the following modified properties: 'members'."
                ),
            )
        group.members.append(object_id)
        self.writes += 1
        return Reply(204)

    def remove_member(
        self, *, version: str, query: dict[str, str], body: Any, g: str, m: str
    ) -> Reply:
        group = self._group(g)
        if m not in group.members:
            raise GraphError(404, "Request_ResourceNotFound", f"Resource '{m}' is not a member.")
        group.members.remove(m)
        self.writes += 1
        return Reply(204)

    def list_directory_devices(self, *, version: str, query: dict[str, str], body: Any) -> Reply:
        return self._page(version, "/devices", query, self.devices, "devices", _directory_device)

    # ---------------------------------------------------------------- scope tags
    def list_scope_tags(self, *, version: str, query: dict[str, str], body: Any) -> Reply:
        return self._page(
            version,
            "/deviceManagement/roleScopeTags",
            query,
            [dict(DEFAULT_SCOPE_TAG)],
            "deviceManagement/roleScopeTags",
        )

    def get_scope_tag(self, *, version: str, query: dict[str, str], body: Any, tag: str) -> Reply:
        if tag != DEFAULT_SCOPE_TAG["id"]:
            raise GraphError(404, "ResourceNotFound", f"roleScopeTag {tag} not found.")
        return Reply(200, dict(DEFAULT_SCOPE_TAG))

    # ---------------------------------------------------------------- managed devices
    def list_managed_devices(self, *, version: str, query: dict[str, str], body: Any) -> Reply:
        return self._page(
            version,
            "/deviceManagement/managedDevices",
            query,
            self.devices,
            "deviceManagement/managedDevices",
            _managed_device,
        )

    def get_managed_device(
        self, *, version: str, query: dict[str, str], body: Any, d: str
    ) -> Reply:
        for device in self.devices:
            if device.managed_id == d:
                return Reply(200, _managed_device(device))
        raise GraphError(404, "ResourceNotFound", f"managedDevice {d} not found.")

    # ---------------------------------------------------------------- reports
    def report(self, *, version: str, query: dict[str, str], body: Any, report: str) -> Reply:
        if (report == "getDeviceInstallStatusReport") != (version == "beta"):
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{report}'.")
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Request body must be a JSON object.")
        flt = str(body.get("filter") or "")
        match = re.search(r"ApplicationId\s+eq\s+'([^']+)'", flt)
        if match is None:
            raise GraphError(400, "BadRequest", "Filter must include (ApplicationId eq '<id>').")
        app_id = match.group(1)
        columns = [c for c, _ in REPORT_COLUMNS]
        select = body.get("select") or columns
        # a localized column comes back with its base column; asking for it is an error
        if not isinstance(select, list) or any(c not in columns for c in select):
            bad = [c for c in select if c not in columns] if isinstance(select, list) else select
            raise GraphError(400, "BadRequest", f"Invalid select column(s): {bad}.")
        answered = [name for column in select for name in (column, LOCALIZED.get(column)) if name]
        skip = body.get("skip") or 0
        top = body.get("top") or 50
        if not isinstance(skip, int) or not isinstance(top, int) or skip < 0 or top < 1:
            raise GraphError(400, "BadRequest", "skip and top must be non-negative integers.")
        app = self.apps.get(app_id)
        version_text = str((app.data.get("displayVersion") if app else "") or "")
        targeted = self.targeting(app_id) if self.targeting is not None else {}
        rows = []
        for device in self.devices:
            state_entry = device.app_states.get(app_id)
            if state_entry is None:
                # Assigned as required but not checked in yet: Intune reports it pending.
                if targeted.get(device.object_id) != "required":
                    continue
                state_entry = ("pendingInstall", "", self.now())
            state, hex_error, modified = state_entry
            record = {
                "DeviceName": device.name,
                "UserPrincipalName": device.user,
                "Platform": "Windows",
                "AppVersion": version_text if state == "installed" else "",
                "DeviceId": device.managed_id,
                "AssignmentFilterIdsExist": False,
                "LastModifiedDateTime": iso(modified),
                "AppInstallState": STATE_CODES[state],
                "AppInstallState_loc": STATE_LOC[state],
                "AppInstallStateDetails": 0 if state != "failed" else 2016345060,
                "AppInstallStateDetails_loc": ""
                if state != "failed"
                else "The application was not detected after installation completed successfully",
                "HexErrorCode": hex_error,
                "ErrorCode": 0 if not hex_error else int(hex_error, 16) - (1 << 32),
                "UserName": device.user.split("@")[0],
                "ApplicationId": app_id,
            }
            rows.append(record)
        order = body.get("orderBy") or []
        for spec in reversed(order if isinstance(order, list) else []):
            column, _, direction = str(spec).partition(" ")
            if column in columns:
                rows.sort(key=lambda r: str(r[column]), reverse=direction.lower() == "desc")
        page = rows[skip : skip + top]
        types = dict(REPORT_COLUMNS) | dict.fromkeys(LOCALIZED.values(), "String")
        payload = {
            "TotalRowCount": len(rows),
            "Schema": [{"Column": c, "PropertyType": types[c]} for c in answered],
            "Values": [[r[c] for c in answered] for r in page],
            "SessionId": "",
        }
        return Reply(200, payload, content_type="application/octet-stream")

    # ---------------------------------------------------------------- $batch
    def batch(
        self, version: str, body: Any, run: Callable[[str, str, Any, dict[str, str]], Reply]
    ) -> Reply:
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            return graph_error(400, "BadRequest", "Invalid batch payload: 'requests' is required.")
        if len(requests) > MAX_BATCH:
            return graph_error(
                400, "BadRequest", f"Number of batch requests exceeds the limit of {MAX_BATCH}."
            )
        ids = [str(r.get("id")) for r in requests if isinstance(r, dict)]
        if (
            len(ids) != len(requests)
            or len(set(ids)) != len(ids)
            or any(i in ("", "None") for i in ids)
        ):
            return graph_error(400, "BadRequest", "Each batch request needs a unique 'id'.")
        statuses: dict[str, int] = {}
        responses = []
        for request in requests:
            rid = str(request["id"])
            method = str(request.get("method", "")).upper()
            url = request.get("url")
            depends = request.get("dependsOn") or []
            if not isinstance(url, str) or method not in {"GET", "POST", "PATCH", "PUT", "DELETE"}:
                reply = graph_error(
                    400, "BadRequest", "Batch request needs 'method' and a relative 'url'."
                )
            elif any(d not in statuses for d in depends):
                return graph_error(
                    400, "BadRequest", f"Request {rid} depends on an unknown or later request."
                )
            elif any(not 200 <= statuses[d] < 300 for d in depends):
                reply = graph_error(424, "FailedDependency", "The request has a failed dependency.")
            elif request.get("body") is not None and not _has_content_type(request):
                reply = graph_error(
                    400,
                    "BadRequest",
                    f"Write request id : {rid} does not contain Content-Type header or body.",
                )
            else:
                reply = run(method, url, request.get("body"), request.get("headers") or {})
            statuses[rid] = reply.status
            headers = {"Content-Type": reply.content_type} | reply.headers
            inner_body = reply.body
            if inner_body is not None and not reply.content_type.startswith("application/json"):
                # Graph base64-encodes inner bodies that are not JSON
                inner_body = base64.b64encode(reply.encoded()).decode()
            responses.append(
                {"id": rid, "status": reply.status, "headers": headers, "body": inner_body}
            )
        return Reply(200, {"responses": responses})


# -------------------------------------------------------------------- validation
#: a file holding a storage URI: blocks may be put, the URI renewed, the file committed
UPLOADABLE = frozenset({"azureStorageUriRequestSuccess", "azureStorageUriRenewalSuccess"})


def _require_uploadable(file: ContentFile, consequence: str) -> None:
    if file.upload_state not in UPLOADABLE:
        raise GraphError(400, "BadRequest", f"File is in state {file.upload_state}; {consequence}.")


def _has_content_type(request: dict[str, Any]) -> bool:
    headers = request.get("headers")
    return isinstance(headers, dict) and any(
        str(k).lower() == "content-type" and v for k, v in headers.items()
    )


def _validate_odata(version: str, type_name: str, body: dict[str, Any]) -> None:
    """What OData refuses, from Microsoft's models for ``version`` (see :mod:`._odata`)."""
    try:
        _odata.validate(version, type_name, body)
    except _odata.ODataError as exc:
        raise GraphError(400, "BadRequest", str(exc)) from None


def _selected(item: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    select = query.get("$select")
    if not select:
        return item
    fields = {s.strip() for s in select.split(",")} | {"@odata.type", "id"}
    return {k: v for k, v in item.items() if k in fields}


def _validate_app(body: dict[str, Any], *, creating: bool) -> None:
    def bad(message: str) -> GraphError:
        return GraphError(400, "BadRequest", message)

    odata_type = body.get("@odata.type")
    if creating:
        required = ["displayName", "publisher"]
        if odata_type == "#microsoft.graph.win32LobApp":
            required += ["fileName", "setupFilePath", "installCommandLine", "uninstallCommandLine"]
        elif odata_type in {
            "#microsoft.graph.macOSLobApp",
            "#microsoft.graph.macOSDmgApp",
            "#microsoft.graph.macOSPkgApp",
        }:
            required += ["fileName"]
        for key in required:
            value = body.get(key)
            if not isinstance(value, str) or not value.strip():
                raise bad(f"Required property '{key}' is missing or empty.")
    release = body.get("minimumSupportedWindowsRelease")
    if release is not None and release not in WINDOWS_RELEASES:
        raise bad(
            f"Invalid value '{release}' for minimumSupportedWindowsRelease; expected one of "
            f"{', '.join(sorted(WINDOWS_RELEASES))}."
        )
    rules = body.get("rules")
    if rules is not None:
        if not isinstance(rules, list):
            raise bad("Property 'rules' must be an array.")
        for rule in rules:
            if not isinstance(rule, dict) or rule.get("@odata.type") not in RULE_TYPES:
                raise bad(
                    "Unknown win32LobAppRule type "
                    f"{rule.get('@odata.type') if isinstance(rule, dict) else rule!r}."
                )
            if rule["@odata.type"] == "#microsoft.graph.win32LobAppPowerShellScriptRule":
                _validate_script_content(rule.get("scriptContent"), bad)


def _validate_script_content(content: Any, bad: Callable[[str], GraphError]) -> None:
    """Graph stores the detection script itself, base64-encoded, in ``scriptContent``."""
    if not isinstance(content, str) or not content:
        raise bad("Property 'scriptContent' is required for a PowerShell script rule.")
    try:
        base64.b64decode(content, validate=True)
    except binascii.Error:
        raise bad("Property 'scriptContent' must be base64-encoded.") from None


def _validate_assignment(entry: Any, groups: dict[str, Group]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise GraphError(400, "BadRequest", "Each mobileAppAssignment must be an object.")
    intent = entry.get("intent")
    if intent not in INTENTS:
        raise GraphError(
            400, "BadRequest", f"Requested value '{intent}' was not found in enum 'installIntent'."
        )
    target = entry.get("target")
    if not isinstance(target, dict) or target.get("@odata.type") not in TARGET_TYPES:
        raise GraphError(400, "BadRequest", f"Invalid assignment target {target!r}.")
    if "group" in target["@odata.type"].lower() and "allDevices" not in target["@odata.type"]:
        group_id = target.get("groupId")
        if group_id not in groups:
            raise GraphError(
                400, "BadRequest", f"Group '{group_id}' of the assignment target was not found."
            )
    clean_target = {"@odata.type": target["@odata.type"]}
    if target.get("groupId"):
        clean_target["groupId"] = target["groupId"]
    clean_target["deviceAndAppManagementAssignmentFilterId"] = target.get(
        "deviceAndAppManagementAssignmentFilterId"
    )
    clean_target["deviceAndAppManagementAssignmentFilterType"] = target.get(
        "deviceAndAppManagementAssignmentFilterType", "none"
    )
    return {
        "@odata.type": "#microsoft.graph.mobileAppAssignment",
        "intent": intent,
        "target": clean_target,
        "settings": copy.deepcopy(entry.get("settings")),
    }


def _group_json(group_id: str, body: dict[str, Any], created: str) -> dict[str, Any]:
    return {
        "id": group_id,
        "displayName": body.get("displayName"),
        "description": body.get("description"),
        "mailEnabled": bool(body.get("mailEnabled", False)),
        "mailNickname": body.get("mailNickname"),
        "securityEnabled": bool(body.get("securityEnabled", True)),
        "groupTypes": list(body.get("groupTypes") or []),
        "createdDateTime": created,
        "membershipRule": None,
        "visibility": None,
    }


def _directory_device(device: Device) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.device",
        "id": device.object_id,
        "deviceId": device.azure_ad_device_id,
        "displayName": device.name,
        "operatingSystem": "Windows",
        "operatingSystemVersion": device.os_version,
        "accountEnabled": True,
    }


def _managed_device(device: Device) -> dict[str, Any]:
    return {
        "id": device.managed_id,
        "deviceName": device.name,
        "operatingSystem": "Windows",
        "osVersion": device.os_version,
        "userPrincipalName": device.user,
        "complianceState": "compliant",
        "managementAgent": "mdm",
        "enrolledDateTime": "2026-01-05T09:00:00Z",
        "lastSyncDateTime": iso(device.last_checkin),
        "azureADDeviceId": device.azure_ad_device_id,
        "azureADRegistered": True,
        "serialNumber": device.serial,
        "model": device.model,
        "manufacturer": "Dell Inc.",
        "deviceEnrollmentType": "windowsAzureADJoin",
    }


def split_relative_url(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url if url.startswith("/") else "/" + url)
    return parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
