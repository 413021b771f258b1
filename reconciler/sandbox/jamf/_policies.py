"""Jamf Classic policies: list, read (XML, or JSON with ``Accept: application/json``),
create (``id/0``), update (top-level sections merged, others replaced) and delete, with
scope groups, packages and frequency checked; per-computer policy logs from
``/JSSResource/computerhistory``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from reconciler.sandbox._wire import Reply
from reconciler.sandbox.jamf._state import (
    NOT_FOUND,
    XML,
    JamfState,
    Policy,
    classic,
    ensure,
    id_reply,
    ids,
    merge,
    parse_xml,
    xml_text,
)

FREQUENCIES = {
    "Once per computer",
    "Once per user per computer",
    "Once per user",
    "Once every day",
    "Once every week",
    "Once every month",
    "Ongoing",
}


class PolicyHandlers(JamfState):
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
        return Reply(200, xml_text(root), content_type=XML)

    def policy(self, pid: int) -> Policy:
        found = self.policies.get(pid)
        if found is None:
            raise classic(404, NOT_FOUND)
        return found

    def policy_reply(self, pid: int, as_json: bool) -> Reply:
        found = self.policy(pid)
        if as_json:
            return Reply(200, {"policy": _policy_json(found, self)})
        return Reply(200, xml_text(found.xml), content_type=XML)

    def write_policy(self, pid: int, text: str, *, create: bool) -> Reply:
        root = parse_xml(text, "policy")
        general = root.find("general")
        name = (general.findtext("name") if general is not None else "") or ""
        if create and not name.strip():
            raise classic(409, "Policy name is required")
        frequency = general.findtext("frequency") if general is not None else None
        if frequency is not None and frequency.strip() not in FREQUENCIES:
            raise classic(409, f"Invalid frequency {frequency.strip()}")
        for gid in ids(root, "scope/computer_groups/computer_group") + ids(
            root, "scope/exclusions/computer_groups/computer_group"
        ):
            if gid not in self.groups:
                raise classic(409, f"Unable to match computer group {gid}")
        for package_id in ids(root, "package_configuration/packages/package"):
            if package_id not in self.packages:
                raise classic(409, f"Unable to match package {package_id}")
        if create:
            if any(p.name == name.strip() for p in self.policies.values()):
                raise classic(409, "Duplicate name")
            pid = self._next_policy
            self._next_policy += 1
            ensure(root, "general/enabled", "true")
            ensure(root, "general/frequency", "Once per computer")
            self.policies[pid] = Policy(pid, root)
        else:
            current = self.policy(pid)
            if name.strip() and any(
                p.name == name.strip() and p.id != pid for p in self.policies.values()
            ):
                raise classic(409, "Duplicate name")
            merge(current.xml, root)
        node = self.policies[pid].xml
        ensure(node, "general/id", str(pid))
        ensure(node, "general/id", str(pid)).text = str(pid)
        self.writes += 1
        return id_reply(201, "policy", pid)

    def delete_policy(self, pid: int) -> Reply:
        self.policy(pid)
        del self.policies[pid]
        self.writes += 1
        return id_reply(200, "policy", pid)

    def policy_logs(self, cid: int, as_json: bool) -> Reply:
        device = self.computers.get(cid)
        if device is None:
            raise classic(404, NOT_FOUND)
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
        return Reply(200, xml_text(root), content_type=XML)


def _policy_json(policy: Policy, service: JamfState) -> dict[str, Any]:
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
