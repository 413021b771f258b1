"""The fleet simulation over the emulators: the tenant's ring groups seeded from the
FleetConfig, and the clock advance that makes every device check in with the MDM that
manages it (``Device.mdm`` matched against each emulator's ``mdm``).

What a device does at a check-in is its MDM's business (Intune installs assigned apps,
Jamf runs policies in scope); this module only decides when, from each device's
connectivity class and phase (:func:`~._fleet.checkins_between`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reconciler.sandbox._emulator import Emulator
from reconciler.sandbox._fleet import Device, RingSpec, checkins_between, iso
from reconciler.sandbox.graph import GraphService, Group
from reconciler.sandbox.jamf import ComputerGroup, JamfService


def seed_ring_groups(
    rings: Sequence[RingSpec],
    devices: Sequence[Device],
    graph: GraphService,
    jamf: JamfService,
    created: datetime,
) -> None:
    """Each ring's Intune group ids as Entra security groups of its Intune-managed devices,
    its Jamf group ids as static computer groups of its Jamf-managed Macs."""
    for ring in rings:
        members = [d for d in devices if d.ring == ring.name]
        for group_id in ring.intune_group_ids:
            graph.groups[group_id] = Group(
                group_id,
                {
                    "id": group_id,
                    "displayName": f"EUCORA ring {ring.name}",
                    "description": f"Devices of ring {ring.name}",
                    "mailEnabled": False,
                    "mailNickname": f"eucora-ring-{ring.name}",
                    "securityEnabled": True,
                    "groupTypes": [],
                    "createdDateTime": iso(created),
                    "membershipRule": None,
                    "visibility": None,
                },
                [d.object_id for d in members if d.mdm == "intune"],
            )
        for jamf_group in ring.jamf_group_ids:
            jamf.groups[jamf_group] = ComputerGroup(
                jamf_group,
                f"EUCORA ring {ring.name}",
                members=[d.jamf_id for d in members if d.mdm == "jamf"],
            )


def advance(
    devices: Sequence[Device], emulators: Sequence[Emulator], start: datetime, end: datetime
) -> None:
    """Devices check in between ``start`` (excluded) and ``end``, each with its own MDM."""
    if end > start:
        for emulator in emulators:
            emulator.time_passes()
    rounds = {}
    for emulator in emulators:
        checkin = emulator.checkin_round() if emulator.mdm else None
        if checkin is not None:
            rounds[emulator.mdm] = checkin
    for device in devices:
        checkin = rounds.get(device.mdm)
        for moment in checkins_between(device, start, end):
            device.last_checkin = moment
            if checkin is not None:
                checkin(device, moment)
