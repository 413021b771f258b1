"""Graph handlers of ``deviceAppManagement/mobileApps``: list, create, read, patch, delete
and assignments, generic over the mobileApp ``@odata.type`` (see :mod:`._app_types`).

Bodies are checked as OData checks them against the API version called, then by Intune's
own checks for the type; reads render every property the version declares. An app can
be assigned only once published.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.sandbox import _odata
from reconciler.sandbox._fleet import iso
from reconciler.sandbox._wire import Reply
from reconciler.sandbox.graph._app_types import APP_TYPES, app_type
from reconciler.sandbox.graph._state import (
    MOBILE_APPS,
    App,
    GraphError,
    GraphState,
    Group,
    Route,
    selected,
    validate_odata,
)

INTENTS = {"available", "required", "uninstall", "availableWithoutEnrollment"}
TARGET_TYPES = {
    "#microsoft.graph.groupAssignmentTarget",
    "#microsoft.graph.exclusionGroupAssignmentTarget",
    "#microsoft.graph.allDevicesAssignmentTarget",
    "#microsoft.graph.allLicensedUsersAssignmentTarget",
}
PUBLISHING_NOT_PUBLISHED = (
    '{"_version": 3, "Message": "Invalid operation: app\'s PublishingState is not '
    '\'Published\'", "CustomApiErrorPhrase": "", "RetryAfter": null}'
)
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
_APP = MOBILE_APPS + r"/(?P<app>[^/]+)"
APP_ROUTES: list[Route] = [
    ("GET", MOBILE_APPS, "list_apps"),
    ("POST", MOBILE_APPS, "create_app"),
    ("GET", _APP, "get_app"),
    ("PATCH", _APP, "patch_app"),
    ("DELETE", _APP, "delete_app"),
    ("POST", _APP + "/assign", "assign"),
    ("GET", _APP + "/assignments", "list_assignments"),
    ("GET", _APP + r"/assignments/(?P<aid>[^/]+)", "get_assignment"),
]


class AppHandlers(GraphState):
    def list_apps(self, *, version: str, query: dict[str, str], body: Any) -> Reply:
        apps = [
            self.observed(a) for a in self.apps.values() if version == "beta" or not a.beta_only
        ]
        items = [self.render_app(a, version) for a in apps]
        flt = query.get("$filter", "").strip()
        if flt:
            try:
                matches = _odata.filter_predicate(flt)
            except _odata.ODataError as exc:
                raise GraphError(400, "BadRequest", str(exc)) from None
            items = [item for item in items if matches(item)]
        items = [selected(item, query) for item in items]
        return self.page(
            version,
            MOBILE_APPS,
            query,
            items,
            "deviceAppManagement/mobileApps",
        )

    def create_app(self, *, version: str, query: dict[str, str], body: Any) -> Reply:
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Request body must be a JSON object.")
        odata_type = body.get("@odata.type")
        kind = app_type(odata_type)
        if kind is None:
            raise GraphError(
                400,
                "BadRequest",
                f"Unsupported or missing '@odata.type' {odata_type!r} for mobileApp "
                f"(supported: {', '.join(sorted(APP_TYPES))}).",
            )
        if not _odata.declares(version, kind.odata_type):
            raise GraphError(
                400,
                "BadRequest",
                f"A type named '{kind.odata_type[1:]}' could not be resolved by the model. "
                "When a model is available, each type name must resolve to a valid type.",
            )
        validate_odata(version, "mobileApp", body)
        kind.validate(body, creating=True)
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
        kind.fill_defaults(data)
        self.apps[data["id"]] = App(data, beta_only=not _odata.declares("v1.0", kind.odata_type))
        self.writes += 1
        return Reply(
            201,
            self.render_app(self.apps[data["id"]], version)
            | {"@odata.context": self.context(version, "deviceAppManagement/mobileApps/$entity")},
        )

    def get_app(self, *, version: str, query: dict[str, str], body: Any, app: str) -> Reply:
        found = self.observed(self.app(app, version))
        result = selected(self.render_app(found, version), query)
        if "assignments" in query.get("$expand", ""):
            result["assignments"] = copy.deepcopy(found.assignments)
        return Reply(
            200,
            {"@odata.context": self.context(version, "deviceAppManagement/mobileApps/$entity")}
            | result,
        )

    def patch_app(self, *, version: str, query: dict[str, str], body: Any, app: str) -> Reply:
        found = self.app(app, version)
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Request body must be a JSON object.")
        if "@odata.type" in body and body["@odata.type"] != found.data["@odata.type"]:
            raise GraphError(
                400,
                "BadRequest",
                f"'@odata.type' {body['@odata.type']!r} does not match the app's type "
                f"{found.data['@odata.type']!r}.",
            )
        validate_odata(version, found.data["@odata.type"], body)
        kind = app_type(found.data["@odata.type"])
        if kind is not None:
            kind.validate(body, creating=False)
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
        self.app(app, version)
        del self.apps[app]
        for device in self.devices:
            device.app_states.pop(app, None)
        self.writes += 1
        return Reply(204)

    # ---------------------------------------------------------------- assignments
    def assign(self, *, version: str, query: dict[str, str], body: Any, app: str) -> Reply:
        found = self.app(app, version)
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
            assignment = validate_assignment(entry, self.groups)
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
        found = self.app(app, version)
        return Reply(
            200,
            {
                "@odata.context": self.context(
                    version, f"deviceAppManagement/mobileApps('{app}')/assignments"
                ),
                "value": copy.deepcopy(found.assignments),
            },
        )

    def get_assignment(
        self, *, version: str, query: dict[str, str], body: Any, app: str, aid: str
    ) -> Reply:
        for assignment in self.app(app, version).assignments:
            if assignment["id"] == aid:
                return Reply(200, copy.deepcopy(assignment))
        raise GraphError(404, "ResourceNotFound", f"Assignment {aid} not found.")


def validate_assignment(entry: Any, groups: dict[str, Group]) -> dict[str, Any]:
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
