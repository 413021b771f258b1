"""Jamf computer groups: Pro API v2 static and smart group lists, Classic
``/JSSResource/computergroups`` in JSON or XML, create (``id/0``), update (``computers``
replaces the members, ``computer_additions`` / ``computer_deletions`` edit them) and
delete; an unknown computer or a duplicate name is a 409, as in Jamf.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from reconciler.sandbox._wire import Reply
from reconciler.sandbox.jamf._rsql import pro_page
from reconciler.sandbox.jamf._state import (
    NOT_FOUND,
    XML,
    ComputerGroup,
    JamfState,
    bad,
    classic,
    id_reply,
    ids,
    parse_xml,
    xml_text,
)


class GroupHandlers(JamfState):
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
        return Reply(200, pro_page(items, query, default_sort="id:asc"))

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
        return Reply(200, pro_page(items, query, default_sort="id:asc"))

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
            raise classic(404, NOT_FOUND)
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
        return Reply(200, xml_text(root), content_type=XML)

    def write_group(self, gid: int, text: str, *, create: bool) -> Reply:
        root = parse_xml(text, "computer_group")
        if create:
            name = (root.findtext("name") or "").strip()
            if not name:
                raise classic(409, "Problem with computer group name")
            if any(g.name == name for g in self.groups.values()):
                raise classic(409, "Duplicate name")
            group = ComputerGroup(
                self._next_group, name, (root.findtext("is_smart") or "false").strip() == "true"
            )
            self._next_group += 1
            for cid in ids(root, "computers/computer"):
                self._require_computer(cid)
                if cid not in group.members:
                    group.members.append(cid)
            self.groups[group.id] = group
        else:
            existing = self.groups.get(gid)
            if existing is None:
                raise classic(404, NOT_FOUND)
            group = existing
            name = (root.findtext("name") or "").strip()
            if name and name != group.name:
                if any(g.name == name for g in self.groups.values()):
                    raise classic(409, "Duplicate name")
                group.name = name
            if root.find("computers") is not None:
                wanted = ids(root, "computers/computer")
                for cid in wanted:
                    self._require_computer(cid)
                group.members = list(dict.fromkeys(wanted))
            for cid in ids(root, "computer_additions/computer"):
                self._require_computer(cid)
                if cid not in group.members:
                    group.members.append(cid)
            for cid in ids(root, "computer_deletions/computer"):
                if cid in group.members:
                    group.members.remove(cid)
        self.writes += 1
        return id_reply(201, "computer_group", group.id)

    def _require_computer(self, cid: int) -> None:
        if cid not in self.computers:
            raise classic(409, f"Unable to match computer {cid}")

    def delete_group(self, gid: int) -> Reply:
        if gid not in self.groups:
            raise classic(404, NOT_FOUND)
        del self.groups[gid]
        self.writes += 1
        return id_reply(200, "computer_group", gid)

    def static_group(self, gid: int) -> Reply:
        """``GET /api/v2/computer-groups/static-groups/{id}``."""
        group = self.groups.get(gid)
        if group is None or group.is_smart:
            raise bad(404, "INVALID_ID", "id", f"Group {gid} not found")
        return Reply(
            200,
            {
                "id": str(group.id),
                "name": group.name,
                "description": None,
                "siteId": "-1",
                "assignments": [{"computerId": str(c), "selected": True} for c in group.members],
            },
        )
