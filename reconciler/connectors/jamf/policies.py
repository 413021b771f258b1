"""Jamf Pro Classic policies as EUCORA uses them: one install (and one uninstall) policy per app.

Sits in the observe and apply steps of the ``jamf`` provider. Classic policies have no
notes field, so a policy is linked by name — it ends in ``(eucora:<intent>)`` — and by the
package id it installs. Assignments map onto policy scope: ``required`` group targets →
scoped computer groups, exclusion targets → scope exclusions, all devices →
``all_computers``; ``uninstall`` targets → a second policy with the ``Uninstall`` action.
``available`` and all-users targets have no Jamf counterpart and are refused.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.connectors.jamf.wire import entries, ids, truthy
from reconciler.domain.errors import RequestRejectedError
from reconciler.domain.tenant import Assignment, AssignmentIntent, DesiredApp, TargetKind

POLICIES = "/JSSResource/policies"
POLICY_NAME = re.compile(r"\(eucora:(?P<intent>[a-z0-9][-a-z0-9.]*)(?P<uninstall> uninstall)?\)$")


@dataclass
class Policy:
    """The parts of a Classic policy the connector reads."""

    id: str
    name: str
    intent: str
    uninstall: bool
    enabled: bool = True
    frequency: str = ""
    all_computers: bool = False
    groups: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    computers: tuple[str, ...] = ()
    packages: tuple[tuple[str, str], ...] = ()

    def assignments(self) -> list[Assignment]:
        intent = AssignmentIntent.UNINSTALL if self.uninstall else AssignmentIntent.REQUIRED
        found = [Assignment(TargetKind.GROUP, g, intent) for g in self.groups]
        found += [Assignment(TargetKind.EXCLUSION, g, intent) for g in self.excluded]
        if self.all_computers:
            found.append(Assignment(TargetKind.ALL_DEVICES, None, intent))
        return found


def policy_name(display_name: str, intent: str, *, uninstall: bool = False) -> str:
    """``<display name> (eucora:<intent>)``: people read the start, the connector the end."""
    suffix = f"(eucora:{intent}{' uninstall' if uninstall else ''})"
    return f"{display_name} {suffix}"


@dataclass
class Scope:
    """A policy scope built from assignments."""

    all_computers: bool = False
    groups: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    def any(self) -> bool:
        return self.all_computers or bool(self.groups) or bool(self.excluded)

    def scope_xml(self) -> ET.Element:
        """``<policy><scope>…</scope></policy>``: a PUT that replaces the whole scope."""
        root = ET.Element("policy")
        root.append(self.element())
        return root

    def element(self) -> ET.Element:
        scope = ET.Element("scope")
        ET.SubElement(scope, "all_computers").text = "true" if self.all_computers else "false"
        ET.SubElement(scope, "computers")
        groups = ET.SubElement(scope, "computer_groups")
        for gid in self.groups:
            ET.SubElement(ET.SubElement(groups, "computer_group"), "id").text = gid
        exclusions = ET.SubElement(scope, "exclusions")
        ET.SubElement(exclusions, "computers")
        excluded = ET.SubElement(exclusions, "computer_groups")
        for gid in self.excluded:
            ET.SubElement(ET.SubElement(excluded, "computer_group"), "id").text = gid
        return scope


def split_assignments(assignments: Sequence[Assignment]) -> tuple[Scope, Scope]:
    install, uninstall = Scope(), Scope()
    for a in sorted(set(assignments)):
        if a.intent not in (AssignmentIntent.REQUIRED, AssignmentIntent.UNINSTALL):
            raise RequestRejectedError(
                f"jamf: intent {a.intent.value!r} has no Jamf Pro policy mapping "
                "(only required and uninstall)",
                service="jamf",
            )
        scope = uninstall if a.intent is AssignmentIntent.UNINSTALL else install
        if a.target is TargetKind.ALL_DEVICES:
            scope.all_computers = True
        elif a.target in (TargetKind.GROUP, TargetKind.EXCLUSION) and a.group_id:
            if not a.group_id.isdigit():
                raise RequestRejectedError(
                    f"jamf: computer group id {a.group_id!r} is not a number", service="jamf"
                )
            (scope.groups if a.target is TargetKind.GROUP else scope.excluded).append(a.group_id)
        else:
            raise RequestRejectedError(
                f"jamf: target {a.target.value!r} has no Jamf Pro policy scope", service="jamf"
            )
    return install, uninstall


def read_policy(pid: str, name: str, intent: str, uninstall: bool, body: Any) -> Policy:
    """A Classic policy's JSON (``{"policy": {...}}``) as a :class:`Policy`."""
    data = body.get("policy") or {}
    general = data.get("general") or {}
    scope = data.get("scope") or {}
    exclusions = scope.get("exclusions") or {}
    packages = entries((data.get("package_configuration") or {}).get("packages"), "package")
    return Policy(
        id=pid,
        name=name,
        intent=intent,
        uninstall=uninstall,
        enabled=truthy(general.get("enabled", True)),
        frequency=str(general.get("frequency") or ""),
        all_computers=truthy(scope.get("all_computers", False)),
        groups=tuple(ids(scope.get("computer_groups"), "computer_group")),
        excluded=tuple(ids(exclusions.get("computer_groups"), "computer_group")),
        computers=tuple(ids(scope.get("computers"), "computer")),
        packages=tuple(
            (str(p.get("id")), str(p.get("action") or "Install"))
            for p in packages
            if p.get("id") is not None
        ),
    )


def policy_xml(
    package_id: str,
    display_name: str,
    intent: str,
    app: DesiredApp | None,
    uninstall: bool,
    category: str | None,
) -> ET.Element:
    """The whole policy (general, empty scope, package, recon) for a create or update."""
    properties: Mapping[str, Any] = app.properties if app is not None else {}
    root = ET.Element("policy")
    general = ET.SubElement(root, "general")
    ET.SubElement(general, "name").text = policy_name(display_name, intent, uninstall=uninstall)
    enabled = True if uninstall else bool(properties.get("policyEnabled", True))
    ET.SubElement(general, "enabled").text = "true" if enabled else "false"
    frequency = (
        "Once per computer"
        if uninstall
        else str(properties.get("policyFrequency") or "Once per computer")
    )
    ET.SubElement(general, "frequency").text = frequency
    ET.SubElement(general, "trigger_checkin").text = "true"
    if category:
        ET.SubElement(ET.SubElement(general, "category"), "name").text = category
    root.append(Scope().element())
    configuration = ET.SubElement(root, "package_configuration")
    packages = ET.SubElement(configuration, "packages")
    ET.SubElement(packages, "size").text = "1"
    package = ET.SubElement(packages, "package")
    ET.SubElement(package, "id").text = package_id
    ET.SubElement(package, "action").text = "Uninstall" if uninstall else "Install"
    ET.SubElement(ET.SubElement(root, "maintenance"), "recon").text = "true"
    return root
