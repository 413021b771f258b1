"""Jamf Pro computer groups: the ring groups a fleet's computers sit in.

Sits beside the observe step of the ``jamf`` provider (ring members) and serves tools that
set up rings (static groups, their members). Inherited by
:class:`~reconciler.connectors.jamf.connector.JamfConnector`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

from reconciler.connectors.core.http import ServiceClient
from reconciler.connectors.jamf.wire import JSON, XML, created_id, entries, ids, to_xml
from reconciler.domain.errors import NotFoundError

GROUPS = "/JSSResource/computergroups"


class ComputerGroups:
    """Computer groups of one Jamf Pro server."""

    jamf: ServiceClient

    async def ring_group_members(self, group_id: str | int) -> list[str]:
        """Ids of the computers in a (static or smart) computer group."""
        body = (await self.jamf.request("GET", f"{GROUPS}/id/{group_id}", headers=JSON)).json()
        group = body.get("computer_group") or {}
        return ids(group.get("computers"), "computer")

    async def list_groups(self) -> list[dict[str, Any]]:
        """Computer groups: id, name, is_smart."""
        body = (await self.jamf.request("GET", GROUPS, headers=JSON)).json()
        return list(entries(body.get("computer_groups"), "computer_group"))

    # --- writes: groups ----------------------------------------------------------

    async def create_static_group(self, name: str, computer_ids: Iterable[str | int] = ()) -> str:
        """A static computer group; a create retried after a lost answer finds the first."""
        root = ET.Element("computer_group")
        ET.SubElement(root, "name").text = name
        ET.SubElement(root, "is_smart").text = "false"
        computers = ET.SubElement(root, "computers")
        for cid in computer_ids:
            ET.SubElement(ET.SubElement(computers, "computer"), "id").text = str(cid)

        async def existing() -> str | None:
            return next(
                (str(g["id"]) for g in await self.list_groups() if g.get("name") == name), None
            )

        return await self.jamf.create(
            f"{GROUPS}/id/0", content=to_xml(root), headers=XML, find=existing, parse=created_id
        )

    async def change_group_members(
        self,
        group_id: str | int,
        *,
        add: Iterable[str | int] = (),
        remove: Iterable[str | int] = (),
    ) -> None:
        """Add and remove static members (``computer_additions`` / ``computer_deletions``)."""
        root = ET.Element("computer_group")
        for tag, members in (("computer_additions", add), ("computer_deletions", remove)):
            node = ET.SubElement(root, tag)
            for cid in members:
                ET.SubElement(ET.SubElement(node, "computer"), "id").text = str(cid)
        await self.jamf.request("PUT", f"{GROUPS}/id/{group_id}", content=to_xml(root), headers=XML)

    async def delete_group(self, group_id: str | int) -> None:
        try:
            await self.jamf.request("DELETE", f"{GROUPS}/id/{group_id}", headers=XML)
        except NotFoundError:
            return
