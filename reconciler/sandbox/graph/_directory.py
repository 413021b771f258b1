"""Graph handlers of the directory and device inventory: Entra groups and their members,
directory devices, Intune managed devices and role scope tags.

Only devices enrolled in Intune appear (Windows PCs, and Macs where the fleet puts them
on Intune rather than Jamf); each is shown with its own platform's operating system.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.sandbox._fleet import Device, iso
from reconciler.sandbox._wire import Reply
from reconciler.sandbox.graph._state import GraphError, GraphState, Group, Route

#: every tenant has the built-in scope tag "Default" (id "0"), which new apps carry
DEFAULT_SCOPE_TAG = {
    "@odata.type": "#microsoft.graph.roleScopeTag",
    "id": "0",
    "displayName": "Default",
    "description": "Built-in scope tag",
    "isBuiltIn": True,
}
#: how each platform shows in Entra and Intune
OPERATING_SYSTEMS = {"windows": "Windows", "macos": "macOS"}
_PLATFORM_DETAILS = {
    "windows": {"manufacturer": "Dell Inc.", "deviceEnrollmentType": "windowsAzureADJoin"},
    "macos": {"manufacturer": "Apple", "deviceEnrollmentType": "appleBulkWithoutUser"},
}
_GROUP = r"/groups/(?P<g>[^/]+)"
DIRECTORY_ROUTES: list[Route] = [
    ("GET", r"/groups", "list_groups"),
    ("POST", r"/groups", "create_group"),
    ("GET", _GROUP, "get_group"),
    ("GET", _GROUP + "/members", "list_members"),
    ("POST", _GROUP + r"/members/\$ref", "add_member"),
    ("DELETE", _GROUP + r"/members/(?P<m>[^/]+)/\$ref", "remove_member"),
    ("GET", r"/devices", "list_directory_devices"),
    ("GET", r"/deviceManagement/roleScopeTags", "list_scope_tags"),
    ("GET", r"/deviceManagement/roleScopeTags/(?P<tag>[^/]+)", "get_scope_tag"),
    ("GET", r"/deviceManagement/managedDevices", "list_managed_devices"),
    ("GET", r"/deviceManagement/managedDevices/(?P<d>[^/]+)", "getmanaged_device"),
]


class DirectoryHandlers(GraphState):
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
        return self.page(version, "/groups", query, items, "groups")

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
        self.groups[group_id] = Group(group_id, group_json(group_id, body, iso(self.now())))
        self.writes += 1
        return Reply(201, copy.deepcopy(self.groups[group_id].data))

    def get_group(self, *, version: str, query: dict[str, str], body: Any, g: str) -> Reply:
        return Reply(200, copy.deepcopy(self._group(g).data))

    def list_members(self, *, version: str, query: dict[str, str], body: Any, g: str) -> Reply:
        group = self._group(g)
        items = [
            directory_device(self.device_objects[m])
            for m in group.members
            if m in self.device_objects
        ]
        return self.page(version, f"/groups/{g}/members", query, items, "directoryObjects")

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
        return self.page(version, "/devices", query, self.devices, "devices", directory_device)

    # ---------------------------------------------------------------- scope tags
    def list_scope_tags(self, *, version: str, query: dict[str, str], body: Any) -> Reply:
        return self.page(
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
        return self.page(
            version,
            "/deviceManagement/managedDevices",
            query,
            self.devices,
            "deviceManagement/managedDevices",
            managed_device,
        )

    def get_managed_device(
        self, *, version: str, query: dict[str, str], body: Any, d: str
    ) -> Reply:
        for device in self.devices:
            if device.managed_id == d:
                return Reply(200, managed_device(device))
        raise GraphError(404, "ResourceNotFound", f"managedDevice {d} not found.")


def group_json(group_id: str, body: dict[str, Any], created: str) -> dict[str, Any]:
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


def directory_device(device: Device) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.device",
        "id": device.object_id,
        "deviceId": device.azure_ad_device_id,
        "displayName": device.name,
        "operatingSystem": OPERATING_SYSTEMS[device.platform],
        "operatingSystemVersion": device.os_version,
        "accountEnabled": True,
    }


def managed_device(device: Device) -> dict[str, Any]:
    return {
        "id": device.managed_id,
        "deviceName": device.name,
        "operatingSystem": OPERATING_SYSTEMS[device.platform],
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
    } | _PLATFORM_DETAILS[device.platform]
