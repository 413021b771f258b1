"""Graph ``mobileAppAssignment``: reading an app's assignments and the ``/assign`` body.

Sits in the observe and apply steps of every Intune-family provider. Assignment targets
map onto the domain's neutral :class:`TargetKind`; ``/assign`` replaces whatever was there,
so :func:`assign_body` is always the complete desired list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.connectors.core.http import ServiceClient
from reconciler.connectors.graph.reads import batch
from reconciler.domain.errors import PermanentTenantError
from reconciler.domain.tenant import Assignment, AssignmentIntent, TargetKind

TARGETS = {
    "#microsoft.graph.groupAssignmentTarget": TargetKind.GROUP,
    "#microsoft.graph.exclusionGroupAssignmentTarget": TargetKind.EXCLUSION,
    "#microsoft.graph.allDevicesAssignmentTarget": TargetKind.ALL_DEVICES,
    "#microsoft.graph.allLicensedUsersAssignmentTarget": TargetKind.ALL_USERS,
}
TARGET_TYPES = {kind: odata for odata, kind in TARGETS.items()}


def assignment(value: dict[str, Any]) -> Assignment:
    """A ``mobileAppAssignment`` as the domain's assignment."""
    target = value.get("target") or {}
    return Assignment(
        target=TARGETS.get(str(target.get("@odata.type")), TargetKind.GROUP),
        group_id=target.get("groupId"),
        intent=AssignmentIntent(value.get("intent", "required")),
    )


def assign_body(assignments: Sequence[Assignment]) -> dict[str, Any]:
    """The ``/assign`` body: every desired assignment, since it replaces them all."""
    return {
        "mobileAppAssignments": [
            {
                "@odata.type": "#microsoft.graph.mobileAppAssignment",
                "intent": a.intent.value,
                "target": {"@odata.type": TARGET_TYPES[a.target]}
                | ({"groupId": a.group_id} if a.group_id else {}),
                "settings": None,
            }
            for a in sorted(set(assignments))
        ]
    }


async def read_assignments(
    graph: ServiceClient, apps: str, app_ids: Sequence[str]
) -> dict[str, tuple[Assignment, ...]]:
    """The assignments of every app, through ``$batch``; a deleted app has none."""
    requests = [
        {"id": str(i), "method": "GET", "url": f"{apps}/{app_id}/assignments"}
        for i, app_id in enumerate(app_ids)
    ]
    result: dict[str, tuple[Assignment, ...]] = {}
    for request_id, answer in (await batch(graph, requests)).items():
        app_id = app_ids[int(request_id)]
        status = int(answer.get("status", 500))
        if status == 200:
            values = (answer.get("body") or {}).get("value", [])
            result[app_id] = tuple(assignment(v) for v in values)
        elif status != 404:  # an app deleted meanwhile has no assignments
            raise PermanentTenantError(
                f"graph $batch assignments of {app_id} → {status}",
                status=status,
                service=graph.service,
            )
    return result


def targeted_groups(
    assignments: Mapping[str, tuple[Assignment, ...]], app_ids: Sequence[str]
) -> dict[str, set[str]]:
    """Ring groups each app is assigned to (required or uninstall)."""
    return {
        app_id: {
            a.group_id
            for a in assignments.get(app_id, ())
            if a.group_id
            and a.target is TargetKind.GROUP
            and a.intent in (AssignmentIntent.REQUIRED, AssignmentIntent.UNINSTALL)
        }
        for app_id in app_ids
    }
