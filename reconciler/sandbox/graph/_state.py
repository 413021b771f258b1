"""State of the emulated Graph tenant and the helpers every Graph handler uses.

The bottom of the Graph emulator: apps, Entra groups and the devices Intune manages, with
OData paging, ``@odata.context`` and seed-derived ids. The handler mixins
(:mod:`._apps`, :mod:`._content`, :mod:`._directory`, :mod:`._reports`) build on
:class:`GraphState`; :mod:`._service` puts them together behind one route table.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from reconciler.sandbox import _odata
from reconciler.sandbox._blob import BlobStore, ContentFile
from reconciler.sandbox._emulator import Outcomes
from reconciler.sandbox._fleet import DEFAULT_SUCCESS_RATE, Device, stable_uuid
from reconciler.sandbox._wire import Reply

#: a route: HTTP method, path regex (named groups become keyword arguments), handler name
Route = tuple[str, str, str]
ALL_DEVICES = "#microsoft.graph.allDevicesAssignmentTarget"
EXCLUDE = "#microsoft.graph.exclusionGroupAssignmentTarget"
INCLUDE = "#microsoft.graph.groupAssignmentTarget"
MOBILE_APPS = "/deviceAppManagement/mobileApps"


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


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


class GraphState:
    """Apps, groups and managed devices of the emulated tenant, and shared helpers."""

    def __init__(
        self,
        devices: list[Device],
        now: Callable[[], datetime],
        page_size: int = 100,
        seed: int = 0,
        publish_after_reads: int = 2,
        blob: BlobStore | None = None,
        outcomes: Outcomes | None = None,
    ) -> None:
        self.seed = seed
        self.outcomes = outcomes if outcomes is not None else Outcomes(seed, DEFAULT_SUCCESS_RATE)
        self.publish_after_reads = publish_after_reads
        self.blob = blob if blob is not None else BlobStore()
        self._serial = 0
        self.apps: dict[str, App] = {}
        self.groups: dict[str, Group] = {}
        #: the devices enrolled in Intune (``Device.mdm == "intune"``)
        self.devices = [d for d in devices if d.mdm == "intune"]
        self.device_objects = {d.object_id: d for d in self.devices}
        self.now = now
        self.page_size = page_size
        self.base_url = ""
        self.writes = 0

    @property
    def blob_files(self) -> dict[str, ContentFile]:
        return self.blob.files

    def new_id(self, kind: str) -> str:
        """GUIDs derived from the seed, so a replayed request sequence gives the same ids."""
        self._serial += 1
        return stable_uuid(self.seed, kind, self._serial)

    def context(self, version: str, entity: str) -> str:
        return f"{self.base_url}/{version}/$metadata#{entity}"

    def page(
        self,
        version: str,
        path: str,
        query: dict[str, str],
        items: list[Any],
        entity: str,
        render: Callable[[Any], dict[str, Any]] | None = None,
    ) -> Reply:
        top = self.int_param(query, "$top", self.page_size)
        skip = self.int_param(query, "$skip", 0)
        top = max(1, min(top, 999))
        window = items[skip : skip + top]
        if render is not None:
            window = [render(item) for item in window]
        body: dict[str, Any] = {"@odata.context": self.context(version, entity)}
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
    def int_param(query: dict[str, str], name: str, default: int) -> int:
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

    def app(self, app: str, version: str) -> App:
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

    def render_app(self, app: App, version: str) -> dict[str, Any]:
        """The app as Graph returns it in ``version``: every property that version declares
        for its type (null when unset), none it does not."""
        return _odata.render(version, app.data["@odata.type"], copy.deepcopy(app.data))

    def observed(self, app: App) -> App:
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


def selected(item: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    select = query.get("$select")
    if not select:
        return item
    fields = {s.strip() for s in select.split(",")} | {"@odata.type", "id"}
    return {k: v for k, v in item.items() if k in fields}


def validate_odata(version: str, type_name: str, body: dict[str, Any]) -> None:
    """What OData refuses, from Microsoft's models for ``version`` (see :mod:`.._odata`)."""
    try:
        _odata.validate(version, type_name, body)
    except _odata.ODataError as exc:
        raise GraphError(400, "BadRequest", str(exc)) from None


def split_relative_url(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url if url.startswith("/") else "/" + url)
    return parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
