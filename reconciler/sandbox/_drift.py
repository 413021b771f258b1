"""Portal drift: what an administrator does by hand in the Intune or Jamf console, applied
straight to an emulator's state (never through its API, so nothing is counted or
faulted). The host's ``Sandbox`` methods and the ``/_sandbox/drift/…`` admin calls use
these; a missing app or policy raises ``KeyError`` / ``JamfProError``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from reconciler.sandbox._fleet import iso
from reconciler.sandbox.graph import ALL_DEVICES, GraphService
from reconciler.sandbox.jamf import JamfService


def add_all_devices_assignment(graph: GraphService, app_id: str, intent: str) -> None:
    app = graph.apps[app_id]
    app.assignments.append(
        {
            "@odata.type": "#microsoft.graph.mobileAppAssignment",
            "id": f"adadadad-808e-44e2-905a-0b7873a8a531_{len(app.assignments)}_0",
            "intent": intent,
            "target": {
                "@odata.type": ALL_DEVICES,
                "deviceAndAppManagementAssignmentFilterId": None,
                "deviceAndAppManagementAssignmentFilterType": "none",
            },
            "settings": None,
        }
    )
    app.data["isAssigned"] = True


def edit_install_command(graph: GraphService, app_id: str, command: str, now: datetime) -> None:
    graph.apps[app_id].data["installCommandLine"] = command
    graph.apps[app_id].data["lastModifiedDateTime"] = iso(now)


def disable_policy(jamf: JamfService, policy_id: int) -> None:
    policy = jamf.policy(policy_id)
    node = policy.xml.find("general/enabled")
    if node is None:
        general = policy.xml.find("general")
        if general is None:
            general = ET.SubElement(policy.xml, "general")
        node = ET.SubElement(general, "enabled")
    node.text = "false"


def delete_app(graph: GraphService, app_id: str) -> None:
    graph.apps.pop(app_id)
