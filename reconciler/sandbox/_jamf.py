"""Emulated Jamf Pro: Pro API (packages, computers-inventory, static groups) and Classic
API (computer groups, policies in XML or JSON, computer history policy logs).

Handlers return :class:`Reply` values; :mod:`._server` does authentication, faults and the
aiohttp plumbing. Pro API errors use Jamf's ``{"httpStatus", "errors": [...]}`` body, the
Classic API answers HTML error pages (409 for conflicts), as the real server does.
"""

from __future__ import annotations

import copy
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reconciler.sandbox._fleet import Device, iso
from reconciler.sandbox._wire import Reply, classic_error, jamf_error

PACKAGE_REQUIRED = {
    "packageName": str,
    "fileName": str,
    "categoryId": str,
    "priority": int,
    "fillUserTemplate": bool,
    "rebootRequired": bool,
    "osInstall": bool,
    "suppressUpdates": bool,
    "suppressFromDock": bool,
    "suppressEula": bool,
    "suppressRegistration": bool,
}
PACKAGE_OPTIONAL = {
    "info": None,
    "notes": None,
    "sha256": None,
    "md5": None,
    "size": None,
    "hashType": None,
    "hashValue": None,
    "manifest": None,
    "manifestFileName": None,
    "format": None,
    "installLanguage": None,
    "swu": False,
    "selfHealNotify": False,
    "selfHealingAction": None,
    "osRequirements": "",
    "serialNumber": None,
    "parentPackageId": None,
    "basePath": None,
    "cloudTransferStatus": "NOT_APPLICABLE",
    "ignoreConflicts": False,
    "suppressCloudUpload": False,
    "installIfReportedAvailable": False,
    "osInstallerVersion": None,
    "indexed": False,
    "fillExistingUsers": False,
}
MAX_PAGE_SIZE = 2000
#: computed by Jamf Pro from the uploaded file at a cloud distribution point inventory
#: refresh; what a client sends for them is not stored
SERVER_COMPUTED = ("size", "md5", "hashType", "hashValue")
#: sections the v3 inventory no longer has
V1_ONLY_SECTIONS = {"PLUGINS", "FONTS"}
FREQUENCIES = {
    "Once per computer",
    "Once per user per computer",
    "Once per user",
    "Once every day",
    "Once every week",
    "Once every month",
    "Ongoing",
}
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


class JamfProError(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def _bad(status: int, code: str, field_name: str | None, description: str) -> JamfProError:
    return JamfProError(jamf_error(status, code, field_name, description))


def _classic(status: int, message: str) -> JamfProError:
    return JamfProError(classic_error(status, message))


@dataclass
class ComputerGroup:
    id: int
    name: str
    is_smart: bool = False
    members: list[int] = field(default_factory=list)
    site_id: int = -1


@dataclass
class Policy:
    id: int
    xml: ET.Element

    def text(self, path: str, default: str = "") -> str:
        node = self.xml.find(path)
        return (node.text or "").strip() if node is not None and node.text else default

    @property
    def name(self) -> str:
        return self.text("general/name")

    @property
    def enabled(self) -> bool:
        return self.text("general/enabled", "true").lower() == "true"

    def group_ids(self) -> set[int]:
        return {
            int(e.text)
            for e in self.xml.findall("scope/computer_groups/computer_group/id")
            if e.text and e.text.strip().isdigit()
        }

    def excluded_group_ids(self) -> set[int]:
        return {
            int(e.text)
            for e in self.xml.findall("scope/exclusions/computer_groups/computer_group/id")
            if e.text and e.text.strip().isdigit()
        }

    def all_computers(self) -> bool:
        return self.text("scope/all_computers", "false").lower() == "true"

    def packages(self) -> list[tuple[int, str]]:
        out = []
        for node in self.xml.findall("package_configuration/packages/package"):
            pid = (node.findtext("id") or "").strip()
            if pid.isdigit():
                out.append((int(pid), (node.findtext("action") or "Install").strip()))
        return out


class JamfService:
    """State and handlers of the emulated Jamf Pro server."""

    def __init__(self, devices: list[Device], now: Callable[[], datetime]) -> None:
        self.computers = {d.jamf_id: d for d in devices if d.platform == "macos"}
        self.packages: dict[int, dict[str, Any]] = {}
        self.uploads: dict[int, bytes] = {}
        self.groups: dict[int, ComputerGroup] = {}
        self.policies: dict[int, Policy] = {}
        self.categories = {1: "Applications", 2: "Utilities"}
        self.now = now
        self.base_url = ""
        self.writes = 0
        self._next_package = 1
        self._next_group = 1000
        self._next_policy = 1

    # ---------------------------------------------------------------- packages
    def list_packages(self, query: Any) -> Reply:
        items = [copy.deepcopy(p) for p in self.packages.values()]
        return Reply(200, self._pro_page(items, query, default_sort="id:asc"))

    def _pro_page(
        self, items: list[dict[str, Any]], query: Any, default_sort: str
    ) -> dict[str, Any]:
        flt = query.get("filter")
        if flt:
            try:
                predicate = parse_rsql(flt)
            except ValueError as exc:
                raise _bad(400, "INVALID_RSQL_FILTER", "filter", str(exc)) from None
            items = [i for i in items if predicate(i)]
        for spec in reversed(",".join(query.getall("sort", [default_sort])).split(",")):
            key, _, direction = spec.strip().partition(":")
            if key:
                items.sort(
                    key=_sort_by(key),
                    reverse=direction.lower() == "desc",
                )
        page = _nonneg(query.get("page", "0"), "page")
        size = _nonneg(query.get("page-size", "100"), "page-size")
        if size < 1 or size > MAX_PAGE_SIZE:
            raise _bad(
                400,
                "INVALID_FIELD",
                "page-size",
                f"page-size must be between 1 and {MAX_PAGE_SIZE}",
            )
        return {"totalCount": len(items), "results": items[page * size : (page + 1) * size]}

    def create_package(self, body: Any) -> Reply:
        data = self._validated_package(body)
        name = data["packageName"]
        if any(p["packageName"] == name for p in self.packages.values()):
            raise _bad(400, "DUPLICATE_FIELD", "packageName", f"packageName {name} already exists")
        pid = self._next_package
        self._next_package += 1
        record = {"id": str(pid)} | dict(PACKAGE_OPTIONAL) | data
        for key in SERVER_COMPUTED:
            record[key] = None
        self.packages[pid] = record
        self.writes += 1
        return Reply(201, {"id": str(pid), "href": f"{self.base_url}/api/v1/packages/{pid}"})

    def _validated_package(self, body: Any, *, current: int | None = None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _bad(400, "INVALID_FIELD", None, "Request body must be a JSON object")
        for key, kind in PACKAGE_REQUIRED.items():
            value = body.get(key)
            if value is None or (kind is str and str(value).strip() == ""):
                raise _bad(400, "INVALID_FIELD", key, f"{key} is required")
            if kind is bool and not isinstance(value, bool):
                raise _bad(400, "INVALID_FIELD", key, f"{key} must be a boolean")
            if kind is int and (isinstance(value, bool) or not str(value).lstrip("-").isdigit()):
                raise _bad(400, "INVALID_FIELD", key, f"{key} must be an integer")
        category = str(body["categoryId"])
        if category != "-1" and (not category.isdigit() or int(category) not in self.categories):
            raise _bad(
                400, "INVALID_ID", "categoryId", f"Category with id {category} does not exist"
            )
        data = {k: v for k, v in body.items() if k in PACKAGE_REQUIRED or k in PACKAGE_OPTIONAL}
        data["categoryId"] = category
        data["priority"] = int(body["priority"])
        return data

    def _package(self, pid: str) -> dict[str, Any]:
        if not pid.isdigit() or int(pid) not in self.packages:
            raise _bad(404, "INVALID_ID", "id", f"Package with id {pid} does not exist")
        return self.packages[int(pid)]

    def get_package(self, pid: str) -> Reply:
        return Reply(200, copy.deepcopy(self._package(pid)))

    def put_package(self, pid: str, body: Any) -> Reply:
        current = self._package(pid)
        data = self._validated_package(body)
        if any(
            p["packageName"] == data["packageName"] and p["id"] != pid
            for p in self.packages.values()
        ):
            raise _bad(
                400,
                "DUPLICATE_FIELD",
                "packageName",
                f"packageName {data['packageName']} already exists",
            )
        current.update({k: v for k, v in data.items() if k not in SERVER_COMPUTED})
        # Jamf Cloud: a metadata PUT of an uploaded package blanks its size until the next
        # distribution point inventory refresh
        current["size"] = None
        self.writes += 1
        return Reply(200, copy.deepcopy(current))

    def delete_package(self, pid: str) -> Reply:
        self._package(pid)
        del self.packages[int(pid)]
        self.uploads.pop(int(pid), None)
        self.writes += 1
        return Reply(204)

    def upload_package(self, pid: str, filename: str | None, content: bytes | None) -> Reply:
        package = self._package(pid)
        if content is None or filename is None:
            raise _bad(400, "INVALID_FIELD", "file", "Multipart field 'file' is required")
        if filename != package["fileName"]:
            raise _bad(
                400,
                "INVALID_FILE_NAME",
                "file",
                f"File name {filename} does not match the package fileName {package['fileName']}",
            )
        self.uploads[int(pid)] = content
        # size and hashes appear only after the cloud distribution point inventory refresh
        package["cloudTransferStatus"] = "IN_PROGRESS"
        self.writes += 1
        return Reply(201, {"id": str(pid), "href": f"{self.base_url}/api/v1/packages/{pid}"})

    def refresh_inventory(self) -> Reply:
        """``POST /api/v1/cloud-distribution-point/refresh-inventory``: Jamf Pro computes
        size and hashes of every uploaded package."""
        for pid, content in self.uploads.items():
            package = self.packages.get(pid)
            if package is None:
                continue
            package["size"] = str(len(content))
            package["md5"] = hashlib.md5(content, usedforsecurity=False).hexdigest()
            package["hashType"] = "SHA_512"
            package["hashValue"] = hashlib.sha512(content).hexdigest()
            package["cloudTransferStatus"] = "READY"
        self.writes += 1
        return Reply(204)

    def classic_packages(self) -> list[dict[str, Any]]:
        return [{"id": pid, "name": p["packageName"]} for pid, p in self.packages.items()]

    # ---------------------------------------------------------------- inventory
    def _sections(self, query: Any, version: str) -> set[str]:
        known = INVENTORY_SECTIONS if version == "v1" else INVENTORY_SECTIONS - V1_ONLY_SECTIONS
        sections: set[str] = set()
        for value in query.getall("section", ["GENERAL"]):
            for raw in value.split(","):
                part = raw.strip().upper()
                if not part:
                    continue
                if part not in known:
                    raise _bad(400, "INVALID_FIELD", "section", f"Unknown section {part}")
                sections.add(part)
        return sections

    def inventory(self, query: Any, version: str = "v3") -> Reply:
        sections = self._sections(query, version)
        records = [self._computer(d, sections, version) for d in self.computers.values()]
        return Reply(200, self._pro_page(records, query, default_sort="general.name:asc"))

    def inventory_detail(self, cid: str, version: str = "v3") -> Reply:
        device = self.computers.get(int(cid)) if cid.isdigit() else None
        if device is None:
            raise _bad(404, "INVALID_ID", "id", f"Computer with id {cid} does not exist")
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

    # ---------------------------------------------------------------- groups
    def smart_groups(self, query: Any) -> Reply:
        items: list[dict[str, Any]] = [
            {
                "id": str(g.id),
                "name": g.name,
                "description": None,
                "siteId": str(g.site_id),
                "membershipCount": len(g.members),
                "criteria": [],
            }
            for g in self.groups.values()
            if g.is_smart
        ]
        return Reply(200, self._pro_page(items, query, default_sort="id:asc"))

    def static_groups(self, query: Any) -> Reply:
        items = [
            {
                "id": str(g.id),
                "name": g.name,
                "description": None,
                "siteId": str(g.site_id),
                "count": len(g.members),
            }
            for g in self.groups.values()
            if not g.is_smart
        ]
        return Reply(200, self._pro_page(items, query, default_sort="id:asc"))

    def classic_groups(self) -> Reply:
        return Reply(
            200,
            {
                "computer_groups": [
                    {"id": g.id, "name": g.name, "is_smart": g.is_smart}
                    for g in self.groups.values()
                ]
            },
        )

    def classic_group(self, gid: int) -> Reply:
        group = self.groups.get(gid)
        if group is None:
            raise _classic(404, "The server has not found anything matching the request URI")
        return Reply(200, {"computer_group": self._group_json(group)})

    def _group_json(self, group: ComputerGroup) -> dict[str, Any]:
        return {
            "id": group.id,
            "name": group.name,
            "is_smart": group.is_smart,
            "site": {"id": -1, "name": "None"},
            "criteria": [],
            "computers": [
                {"id": c, "name": self.computers[c].name, "serial_number": self.computers[c].serial}
                for c in group.members
                if c in self.computers
            ],
        }

    def group_xml(self, gid: int) -> Reply:
        data = self.classic_group(gid).body["computer_group"]
        root = ET.Element("computer_group")
        for key in ("id", "name", "is_smart"):
            ET.SubElement(root, key).text = (
                str(data[key]).lower() if key == "is_smart" else str(data[key])
            )
        computers = ET.SubElement(root, "computers")
        ET.SubElement(computers, "size").text = str(len(data["computers"]))
        for computer in data["computers"]:
            node = ET.SubElement(computers, "computer")
            for key in ("id", "name", "serial_number"):
                ET.SubElement(node, key).text = str(computer[key])
        return Reply(200, _xml(root), content_type="text/xml;charset=UTF-8")

    def write_group(self, gid: int, text: str, *, create: bool) -> Reply:
        root = _parse_xml(text, "computer_group")
        if create:
            name = (root.findtext("name") or "").strip()
            if not name:
                raise _classic(409, "Problem with computer group name")
            if any(g.name == name for g in self.groups.values()):
                raise _classic(409, "Duplicate name")
            group = ComputerGroup(
                self._next_group, name, (root.findtext("is_smart") or "false").strip() == "true"
            )
            self._next_group += 1
            for cid in _ids(root, "computers/computer"):
                self._require_computer(cid)
                if cid not in group.members:
                    group.members.append(cid)
            self.groups[group.id] = group
        else:
            existing = self.groups.get(gid)
            if existing is None:
                raise _classic(404, "The server has not found anything matching the request URI")
            group = existing
            name = (root.findtext("name") or "").strip()
            if name and name != group.name:
                if any(g.name == name for g in self.groups.values()):
                    raise _classic(409, "Duplicate name")
                group.name = name
            if root.find("computers") is not None:
                wanted = _ids(root, "computers/computer")
                for cid in wanted:
                    self._require_computer(cid)
                group.members = list(dict.fromkeys(wanted))
            for cid in _ids(root, "computer_additions/computer"):
                self._require_computer(cid)
                if cid not in group.members:
                    group.members.append(cid)
            for cid in _ids(root, "computer_deletions/computer"):
                if cid in group.members:
                    group.members.remove(cid)
        self.writes += 1
        return Reply(
            201,
            (
                '<?xml version="1.0" '
                f'encoding="UTF-8"?><computer_group><id>{group.id}</id></computer_group>'
            ),
            content_type="text/xml;charset=UTF-8",
        )

    def _require_computer(self, cid: int) -> None:
        if cid not in self.computers:
            raise _classic(409, f"Unable to match computer {cid}")

    def delete_group(self, gid: int) -> Reply:
        if gid not in self.groups:
            raise _classic(404, "The server has not found anything matching the request URI")
        del self.groups[gid]
        self.writes += 1
        return Reply(
            200,
            (
                '<?xml version="1.0" '
                f'encoding="UTF-8"?><computer_group><id>{gid}</id></computer_group>'
            ),
            content_type="text/xml;charset=UTF-8",
        )

    # ---------------------------------------------------------------- policies
    def classic_policies(self, as_json: bool) -> Reply:
        items = [{"id": p.id, "name": p.name} for p in self.policies.values()]
        if as_json:
            return Reply(200, {"policies": items})
        root = ET.Element("policies")
        ET.SubElement(root, "size").text = str(len(items))
        for item in items:
            node = ET.SubElement(root, "policy")
            ET.SubElement(node, "id").text = str(item["id"])
            ET.SubElement(node, "name").text = str(item["name"])
        return Reply(200, _xml(root), content_type="text/xml;charset=UTF-8")

    def policy(self, pid: int) -> Policy:
        found = self.policies.get(pid)
        if found is None:
            raise _classic(404, "The server has not found anything matching the request URI")
        return found

    def policy_reply(self, pid: int, as_json: bool) -> Reply:
        found = self.policy(pid)
        if as_json:
            return Reply(200, {"policy": _policy_json(found, self)})
        return Reply(200, _xml(found.xml), content_type="text/xml;charset=UTF-8")

    def write_policy(self, pid: int, text: str, *, create: bool) -> Reply:
        root = _parse_xml(text, "policy")
        general = root.find("general")
        name = (general.findtext("name") if general is not None else "") or ""
        if create and not name.strip():
            raise _classic(409, "Policy name is required")
        frequency = general.findtext("frequency") if general is not None else None
        if frequency is not None and frequency.strip() not in FREQUENCIES:
            raise _classic(409, f"Invalid frequency {frequency.strip()}")
        for gid in _ids(root, "scope/computer_groups/computer_group") + _ids(
            root, "scope/exclusions/computer_groups/computer_group"
        ):
            if gid not in self.groups:
                raise _classic(409, f"Unable to match computer group {gid}")
        for package_id in _ids(root, "package_configuration/packages/package"):
            if package_id not in self.packages:
                raise _classic(409, f"Unable to match package {package_id}")
        if create:
            if any(p.name == name.strip() for p in self.policies.values()):
                raise _classic(409, "Duplicate name")
            pid = self._next_policy
            self._next_policy += 1
            _ensure(root, "general/enabled", "true")
            _ensure(root, "general/frequency", "Once per computer")
            self.policies[pid] = Policy(pid, root)
        else:
            current = self.policy(pid)
            if name.strip() and any(
                p.name == name.strip() and p.id != pid for p in self.policies.values()
            ):
                raise _classic(409, "Duplicate name")
            _merge(current.xml, root)
        node = self.policies[pid].xml
        _ensure(node, "general/id", str(pid))
        _ensure(node, "general/id", str(pid)).text = str(pid)
        self.writes += 1
        return Reply(
            201,
            f'<?xml version="1.0" encoding="UTF-8"?><policy><id>{pid}</id></policy>',
            content_type="text/xml;charset=UTF-8",
        )

    def delete_policy(self, pid: int) -> Reply:
        self.policy(pid)
        del self.policies[pid]
        self.writes += 1
        return Reply(
            200,
            f'<?xml version="1.0" encoding="UTF-8"?><policy><id>{pid}</id></policy>',
            content_type="text/xml;charset=UTF-8",
        )

    def policy_logs(self, cid: int, as_json: bool) -> Reply:
        device = self.computers.get(cid)
        if device is None:
            raise _classic(404, "The server has not found anything matching the request URI")
        logs = list(reversed(device.policy_logs))
        if as_json:
            return Reply(
                200,
                {
                    "computer_history": {
                        "general": {
                            "id": cid,
                            "name": device.name,
                            "udid": device.udid,
                            "serial_number": device.serial,
                        },
                        "policy_logs": logs,
                    }
                },
            )
        root = ET.Element("computer_history")
        general = ET.SubElement(root, "general")
        ET.SubElement(general, "id").text = str(cid)
        ET.SubElement(general, "name").text = device.name
        logs_node = ET.SubElement(root, "policy_logs")
        for entry in logs:
            node = ET.SubElement(logs_node, "policy_log")
            for key, value in entry.items():
                ET.SubElement(node, key).text = str(value)
        return Reply(200, _xml(root), content_type="text/xml;charset=UTF-8")


def _policy_json(policy: Policy, service: JamfService) -> dict[str, Any]:
    def groups(path: str) -> list[dict[str, Any]]:
        ids = [int(e.text) for e in policy.xml.findall(path) if e.text and e.text.strip().isdigit()]
        return [
            {"id": i, "name": service.groups[i].name if i in service.groups else ""} for i in ids
        ]

    packages = [
        {
            "id": pid,
            "name": service.packages.get(pid, {}).get("packageName", ""),
            "action": action,
            "fut": False,
            "feu": False,
        }
        for pid, action in policy.packages()
    ]
    category = policy.text("general/category/name", "No category assigned")
    return {
        "general": {
            "id": policy.id,
            "name": policy.name,
            "enabled": policy.enabled,
            "trigger": "EVENT",
            "trigger_checkin": policy.text("general/trigger_checkin", "false").lower() == "true",
            "frequency": policy.text("general/frequency", "Once per computer"),
            "category": {"id": -1, "name": category},
            "site": {"id": -1, "name": "None"},
        },
        "scope": {
            "all_computers": policy.all_computers(),
            "computers": [],
            "computer_groups": groups("scope/computer_groups/computer_group/id"),
            "buildings": [],
            "departments": [],
            "exclusions": {
                "computers": [],
                "computer_groups": groups("scope/exclusions/computer_groups/computer_group/id"),
            },
        },
        "package_configuration": {"packages": packages},
        "maintenance": {"recon": policy.text("maintenance/recon", "false").lower() == "true"},
        "general_notes": policy.text("general/notes"),
    }


def _parse_xml(text: str, root_tag: str) -> ET.Element:
    try:
        root = ET.fromstring(text)  # noqa: S314  (local emulator input)
    except ET.ParseError as exc:
        raise _classic(400, f"Unable to parse XML: {exc}") from None
    if root.tag != root_tag:
        raise _classic(400, f"Expected <{root_tag}> element")
    return root


def _ids(root: ET.Element, path: str) -> list[int]:
    out = []
    for node in root.findall(path):
        text = (node.findtext("id") or "").strip()
        if not text.lstrip("-").isdigit():
            raise _classic(409, f"Invalid id {text!r} in {path}")
        out.append(int(text))
    return out


def _ensure(root: ET.Element, path: str, default: str) -> ET.Element:
    node = root
    for part in path.split("/"):
        child = node.find(part)
        if child is None:
            child = ET.SubElement(node, part)
            if part == path.rsplit("/", maxsplit=1)[-1]:
                child.text = default
        node = child
    return node


def _merge(target: ET.Element, update: ET.Element) -> None:
    """Classic PUT semantics: elements present in the update replace those in the target."""
    for child in update:
        existing = target.find(child.tag)
        if (
            existing is not None
            and len(child)
            and child.tag in {"general", "scope", "maintenance", "self_service"}
        ):
            _merge(existing, child)
        else:
            if existing is not None:
                target.remove(existing)
            target.append(copy.deepcopy(child))


def _xml(root: ET.Element) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


def _camel(section: str) -> str:
    head, *rest = section.lower().split("_")
    return head + "".join(p.title() for p in rest)


def _nonneg(text: str, name: str) -> int:
    if not text.isdigit():
        raise _bad(400, "INVALID_FIELD", name, f"{name} must be a non-negative integer")
    return int(text)


def _sort_by(key: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    return lambda item: _sort_key(_lookup(item, key))


def _lookup(item: dict[str, Any], dotted: str) -> Any:
    value: Any = item
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (2, "")
    text = str(value)
    return (0, int(text)) if text.lstrip("-").isdigit() else (1, text.lower())


# -------------------------------------------------------------------- RSQL
_TOKEN = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<and>;)|(?P<or>,)|(?P<cmp>(?P<sel>[A-Za-z_][\w.]*)\s*(?P<op>==|!=|=in=|=out=|=ge=|=gt=|=le=|=lt=|<=|>=|<|>)\s*(?P<arg>"[^"]*"|\'[^\']*\'|\([^)]*\)|[^;,()\s]+)))'
)


def parse_rsql(text: str) -> Callable[[dict[str, Any]], bool]:
    """Jamf's RSQL: ``== != < <= > >= =in=() =out=()``, ``;`` and, ``,`` or, parentheses."""
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"Invalid RSQL near {text[pos : pos + 20]!r}")
        tokens.append(match)
        pos = match.end()
    index = 0

    def peek(kind: str) -> bool:
        return index < len(tokens) and tokens[index].group(kind) is not None

    def expr() -> Callable[[dict[str, Any]], bool]:
        nonlocal index
        parts = [term()]
        while peek("or"):
            index += 1
            parts.append(term())
        return lambda item: any(p(item) for p in parts)

    def term() -> Callable[[dict[str, Any]], bool]:
        nonlocal index
        parts = [factor()]
        while peek("and"):
            index += 1
            parts.append(factor())
        return lambda item: all(p(item) for p in parts)

    def factor() -> Callable[[dict[str, Any]], bool]:
        nonlocal index
        if peek("lp"):
            index += 1
            inner = expr()
            if not peek("rp"):
                raise ValueError("Unbalanced parentheses in RSQL")
            index += 1
            return inner
        if not peek("cmp"):
            raise ValueError("Expected a comparison in RSQL")
        match = tokens[index]
        index += 1
        return _comparison(match["sel"], match["op"], match["arg"])

    predicate = expr()
    if index != len(tokens):
        raise ValueError("Unexpected trailing tokens in RSQL")
    return predicate


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _comparison(selector: str, op: str, arg: str) -> Callable[[dict[str, Any]], bool]:
    if op in {"=in=", "=out="}:
        values = {_unquote(v) for v in arg.strip("()").split(",")}
        return lambda item: (str(_lookup(item, selector)) in values) == (op == "=in=")
    value = _unquote(arg)
    if op in {"==", "!="}:
        pattern = re.compile(
            "^" + ".*".join(re.escape(p) for p in value.split("*")) + "$", re.IGNORECASE
        )
        return lambda item: bool(pattern.match(str(_lookup(item, selector)))) == (op == "==")
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "<": lambda a, b: a < b,
        "=lt=": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        "=le=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        "=gt=": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "=ge=": lambda a, b: a >= b,
    }
    compare = ops[op]

    def check(item: dict[str, Any]) -> bool:
        current = _lookup(item, selector)
        if current is None:
            return False
        left, right = _sort_key(current), _sort_key(value)
        return left[0] == right[0] and compare(left[1], right[1])

    return check
