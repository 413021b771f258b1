"""Hand-made apps: what an administrator built in the consoles before EUCORA came, for
trying ``eucora import`` and adoption against a tenant that is not empty.

``seed_hand_made`` creates, through each emulator's own request handlers (so they are
validated like any create), Intune win32LobApps and Jamf Pro packages each with an install
policy, none carrying the ownership marker; every third is assigned to a ring group the
tenant holds. Names, versions and ids follow from the count only, so a seed is repeatable.
Numbering starts after the objects the tenant holds, so seeding twice adds more.
The ``/_sandbox/seed/hand-made`` admin call and ``Sandbox.seed_hand_made`` use it.
"""

from __future__ import annotations

import hashlib
from typing import Any
from xml.sax.saxutils import escape

from reconciler.sandbox.graph import GraphService
from reconciler.sandbox.jamf import JamfService

_VENDORS = ("Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove", "Litware")
_PRODUCT_CODE = "{{{0}-{1}-{2}-{3}-{4}}}"


def hand_made_name(kind: str, index: int) -> str:
    """The name of the ``index``-th hand-made app of ``kind`` (``windows`` / ``macos``)."""
    return f"{_VENDORS[index % len(_VENDORS)]} {kind.capitalize()} Tool {index:04d}"


def _product_code(index: int) -> str:
    digest = hashlib.sha256(f"hand-made-{index}".encode()).hexdigest().upper()
    return _PRODUCT_CODE.format(
        digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:32]
    )


def _win32(index: int) -> dict[str, Any]:
    version = f"{1 + index % 9}.{index % 7}.{index}"
    return {
        "@odata.type": "#microsoft.graph.win32LobApp",
        "displayName": hand_made_name("windows", index),
        "displayVersion": version,
        "publisher": _VENDORS[index % len(_VENDORS)],
        "description": "made by hand in the Intune admin center",
        "fileName": f"tool-{index:04d}.intunewin",
        "setupFilePath": f"tool-{index:04d}.msi",
        "installCommandLine": f'msiexec /i "tool-{index:04d}.msi" /qn',
        "uninstallCommandLine": f'msiexec /x "{_product_code(index)}" /qn',
        "applicableArchitectures": "x64",
        "minimumSupportedWindowsRelease": "Windows10_21H2",
        "installExperience": {
            "@odata.type": "#microsoft.graph.win32LobAppInstallExperience",
            "runAsAccount": "system",
            "deviceRestartBehavior": "suppress",
        },
        "rules": [
            {
                "@odata.type": "#microsoft.graph.win32LobAppProductCodeRule",
                "ruleType": "detection",
                "productCode": _product_code(index),
                "productVersionOperator": "notConfigured",
                "productVersion": None,
            }
        ],
    }


def seed_hand_made(
    graph: GraphService, jamf: JamfService, windows: int, macos: int
) -> dict[str, Any]:
    """Create ``windows`` Intune apps and ``macos`` Jamf packages with policies by hand;
    returns their ids."""
    intune_groups = sorted(graph.groups)
    jamf_groups = sorted(jamf.groups)
    apps, packages = [], []
    # a second seed goes on numbering where the tenant's objects end: names stay unique
    first_app, first_package = len(graph.apps), len(jamf.packages)
    for index in range(first_app, first_app + windows):
        reply = graph.create_app(version="beta", query={}, body=_win32(index))
        app_id = str(reply.body["id"])
        apps.append(app_id)
        # made by hand long ago: its content is committed and the app published
        graph.apps[app_id].data.update(
            {"publishingState": "published", "committedContentVersion": "1", "size": 4096 + index}
        )
        if intune_groups and index % 3 == 0:
            graph.assign(
                version="v1.0", query={}, app=app_id,
                body={"mobileAppAssignments": [{
                    "@odata.type": "#microsoft.graph.mobileAppAssignment",
                    "intent": "required",
                    "target": {
                        "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                        "groupId": intune_groups[0],
                    },
                }]},
            )  # fmt: skip
    for index in range(first_package, first_package + macos):
        name = hand_made_name("macos", index)
        reply = jamf.create_package(
            {
                "packageName": name,
                "fileName": f"tool-{index:04d}.pkg",
                "categoryId": "-1",
                "priority": 10,
                "fillUserTemplate": False,
                "rebootRequired": False,
                "osInstall": False,
                "suppressUpdates": False,
                "suppressFromDock": False,
                "suppressEula": False,
                "suppressRegistration": False,
                "info": "made by hand in Jamf Pro",
                "notes": "",
            }
        )
        package_id = int(reply.body["id"])
        scope = (
            f"<computer_groups><computer_group><id>{jamf_groups[0]}</id></computer_group>"
            "</computer_groups>"
            if jamf_groups and index % 3 == 0
            else ""
        )
        policy = (
            f"<policy><general><name>{escape(name)} install</name><enabled>true</enabled>"
            f"</general><scope>{scope}</scope><package_configuration><packages><package>"
            f"<id>{package_id}</id><action>Install</action></package></packages>"
            "</package_configuration></policy>"
        )
        answer = jamf.write_policy(0, policy, create=True)
        packages.append({"package": str(package_id), "policy": _policy_id(answer.body)})
    return {"intune": apps, "jamf": packages}


def _policy_id(body: Any) -> str:
    text = str(body)
    start = text.find("<id>") + len("<id>")
    return text[start : text.find("</id>", start)]
