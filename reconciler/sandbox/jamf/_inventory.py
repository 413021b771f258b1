"""Jamf Pro API computer inventory: v3 ``computers-inventory`` (and the deprecated v1,
which still has PLUGINS and FONTS), sections on request (unrequested ones ``null``),
paging and RSQL; the Classic ``/JSSResource/computers`` list and record.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.sandbox._fleet import Device, iso
from reconciler.sandbox._wire import Reply
from reconciler.sandbox.jamf._rsql import pro_page
from reconciler.sandbox.jamf._state import JamfState, bad, classic_list_xml

#: sections the v3 inventory no longer has
V1_ONLY_SECTIONS = {"PLUGINS", "FONTS"}
INVENTORY_SECTIONS = {
    "GENERAL",
    "DISK_ENCRYPTION",
    "PURCHASING",
    "APPLICATIONS",
    "STORAGE",
    "USER_AND_LOCATION",
    "CONFIGURATION_PROFILES",
    "PRINTERS",
    "SERVICES",
    "HARDWARE",
    "LOCAL_USER_ACCOUNTS",
    "CERTIFICATES",
    "ATTACHMENTS",
    "PLUGINS",
    "PACKAGE_RECEIPTS",
    "FONTS",
    "SECURITY",
    "OPERATING_SYSTEM",
    "LICENSED_SOFTWARE",
    "IBEACONS",
    "SOFTWARE_UPDATES",
    "EXTENSION_ATTRIBUTES",
    "CONTENT_CACHING",
    "GROUP_MEMBERSHIPS",
}


class InventoryHandlers(JamfState):
    def _sections(self, query: Any, version: str) -> set[str]:
        known = INVENTORY_SECTIONS if version == "v1" else INVENTORY_SECTIONS - V1_ONLY_SECTIONS
        sections: set[str] = set()
        for value in query.getall("section", ["GENERAL"]):
            for raw in value.split(","):
                part = raw.strip().upper()
                if not part:
                    continue
                if part not in known:
                    raise bad(400, "INVALID_FIELD", "section", f"Unknown section {part}")
                sections.add(part)
        return sections

    def inventory(self, query: Any, version: str = "v3") -> Reply:
        sections = self._sections(query, version)
        records = [self._computer(d, sections, version) for d in self.computers.values()]
        return Reply(200, pro_page(records, query, default_sort="general.name:asc"))

    def inventory_detail(self, cid: str, version: str = "v3") -> Reply:
        device = self.computers.get(int(cid)) if cid.isdigit() else None
        if device is None:
            raise bad(404, "INVALID_ID", "id", f"Computer with id {cid} does not exist")
        known = INVENTORY_SECTIONS if version == "v1" else INVENTORY_SECTIONS - V1_ONLY_SECTIONS
        return Reply(200, self._computer(device, set(known), version))

    def _computer(self, device: Device, sections: set[str], version: str) -> dict[str, Any]:
        groups = [g for g in self.groups.values() if device.jamf_id in g.members]
        full: dict[str, Any] = {
            "general": {
                "name": device.name,
                "lastIpAddress": f"10.20.{device.jamf_id // 250}.{device.jamf_id % 250 + 1}",
                "lastContactTime": iso(device.last_checkin),
                "reportDate": iso(device.last_checkin),
                "platform": "Mac",
                "managementId": device.managed_id,
                "assetTag": None,
                "supervised": True,
                "mdmCapable": {"capable": True, "capableUsers": []},
                "site": {"id": "-1", "name": "None"},
            },
            "applications": sorted(
                (copy.deepcopy(a) for a in device.applications.values()), key=lambda a: a["name"]
            ),
            "operatingSystem": {"name": "macOS", "version": device.os_version, "build": "24B91"},
            "hardware": {
                "model": "MacBook Pro (14-inch, 2021)",
                "modelIdentifier": device.model,
                "serialNumber": device.serial,
            },
            "groupMemberships": [
                {"groupId": str(g.id), "groupName": g.name, "smartGroup": g.is_smart}
                for g in groups
            ],
            "packageReceipts": {
                "installedByJamfPro": sorted(
                    self.packages[int(key[4:])]["fileName"]
                    for key, entry in device.app_states.items()
                    if key.startswith("pkg:")
                    and entry[0] == "installed"
                    and int(key[4:]) in self.packages
                ),
                "installedByInstallerSwu": [],
                "cached": [],
            },
        }
        record: dict[str, Any] = {"id": str(device.jamf_id), "udid": device.udid}
        names = {
            "GENERAL": "general",
            "APPLICATIONS": "applications",
            "OPERATING_SYSTEM": "operatingSystem",
            "HARDWARE": "hardware",
            "GROUP_MEMBERSHIPS": "groupMemberships",
            "PACKAGE_RECEIPTS": "packageReceipts",
        }
        for section in sorted(INVENTORY_SECTIONS):
            if version != "v1" and section in V1_ONLY_SECTIONS:
                continue
            key = names.get(section) or _camel(section)
            record[key] = full.get(key) if section in sections else None
        return record

    def classic_computers(self, cid: str | None, as_json: bool) -> Reply:
        if cid is None:
            items = [{"id": d.jamf_id, "name": d.name} for d in self.computers.values()]
            return (
                Reply(200, {"computers": items})
                if as_json
                else classic_list_xml("computers", "computer", items)
            )
        device = self.computers.get(int(cid))
        if device is None:
            return Reply(
                404, "<html><body><p>Error: Not Found</p></body></html>", content_type="text/html"
            )
        return Reply(
            200,
            {
                "computer": {
                    "general": {
                        "id": device.jamf_id,
                        "name": device.name,
                        "udid": device.udid,
                        "serial_number": device.serial,
                    }
                }
            },
        )


def _camel(section: str) -> str:
    head, *rest = section.lower().split("_")
    return head + "".join(p.title() for p in rest)
