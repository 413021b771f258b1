"""Ring groups → managed devices: which Intune devices sit in which Entra ring group.

Sits in the observe step of every Intune-family provider. Group members are Entra
*device objects*; a ``managedDevice`` names its Entra device by ``azureADDeviceId``, which
is the device object's ``deviceId`` (not its id).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from reconciler.connectors.core.http import ServiceClient
from reconciler.connectors.graph.reads import paged

#: group members and managed devices are read this many a page
DIRECTORY_PAGE = 999


async def ring_members(
    graph: ServiceClient, group_id: str, page: int = DIRECTORY_PAGE
) -> list[dict[str, Any]]:
    """The Entra device objects in a ring group (``id`` and ``deviceId``), all pages."""
    return await paged(
        graph, f"/groups/{group_id}/members", {"$select": "id,deviceId", "$top": page}
    )


async def ring_devices(
    graph: ServiceClient,
    ring_groups: Sequence[str],
    page: int = DIRECTORY_PAGE,
    operating_system: str | None = None,
) -> dict[str, tuple[str, datetime | None]]:
    """managedDevice id → (ring group id, ``lastSyncDateTime``); with ``operating_system``
    only the devices that run it (a ring group holds PCs and Macs alike)."""
    by_entra_id: dict[str, str] = {}
    for group in ring_groups:
        for member in await ring_members(graph, group, page):
            if member.get("deviceId"):
                by_entra_id.setdefault(str(member["deviceId"]), group)
    devices = await paged(
        graph,
        "/deviceManagement/managedDevices",
        {"$select": "id,azureADDeviceId,lastSyncDateTime,operatingSystem", "$top": page},
    )
    return {
        str(d["id"]): (
            by_entra_id[str(d.get("azureADDeviceId"))],
            when(d.get("lastSyncDateTime")),
        )
        for d in devices
        if str(d.get("azureADDeviceId")) in by_entra_id
        and operating_system in (None, d.get("operatingSystem") or operating_system)
    }


def when(text: Any) -> datetime | None:
    """A Graph DateTimeOffset (or report DateTime) → aware datetime; None when absent."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
