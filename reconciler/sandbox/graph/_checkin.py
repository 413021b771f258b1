"""What an Intune-managed device does when it checks in: the published apps of its own
platform assigned to it (directly, through a group, or to All Devices) are installed for
``required`` and removed for ``uninstall`` (uninstall wins; exclusions win over both).

Failures are retried at later check-ins, up to three attempts; a broken build fails on
the same devices at every retry. The targeting also feeds the install-status report
(devices assigned ``required`` that have not checked in yet are ``pendingInstall``).
"""

from __future__ import annotations

from datetime import datetime

from reconciler.domain.tenant import parse_marker
from reconciler.sandbox._fleet import Device, stable_unit
from reconciler.sandbox.graph._app_types import app_type
from reconciler.sandbox.graph._state import ALL_DEVICES, EXCLUDE, GraphState

#: per published app: the intent per targeted device object id, and the success rate
InstallPlan = dict[str, tuple[dict[str, str], float]]
FAILED_HEX = "0x87D1041C"
MAX_ATTEMPTS = 3


class IntuneCheckin(GraphState):
    def install_plan(self, only: str | None = None) -> InstallPlan:
        """For each published app: the intent per targeted device of its platform."""
        plan: InstallPlan = {}
        group_sets = {gid: set(g.members) for gid, g in self.groups.items()}
        by_platform: dict[str, set[str]] = {}
        for device in self.devices:
            by_platform.setdefault(device.platform, set()).add(device.object_id)
        for app_id, app in self.apps.items():
            if only is not None and app_id != only:
                continue
            kind = app_type(app.data["@odata.type"])
            if app.data.get("publishingState") != "published" or kind is None:
                continue
            platform = by_platform.get(kind.platform, set())
            intents: dict[str, str] = {}
            excluded: set[str] = set()
            for assignment in app.assignments:
                target = assignment["target"]
                intent = assignment["intent"]
                if intent not in {"required", "uninstall"}:
                    continue
                if target["@odata.type"] == EXCLUDE:
                    excluded |= group_sets.get(target.get("groupId", ""), set())
                    continue
                members = (
                    platform
                    if target["@odata.type"] == ALL_DEVICES
                    else group_sets.get(target.get("groupId", ""), set()) & platform
                )
                for member in members:
                    # Uninstall wins over required when a device is targeted by both, as in Intune.
                    if intents.get(member) != "uninstall":
                        intents[member] = intent
            for member in excluded:
                intents.pop(member, None)
            marker = parse_marker(app.data.get("notes"))
            rate = self.outcomes.rate(
                app.data.get("displayName"), marker.intent if marker else None, app_id
            )
            plan[app_id] = (intents, rate)
        return plan

    def targeting(self, app_id: str) -> dict[str, str]:
        return self.install_plan(app_id).get(app_id, ({}, 0.0))[0]

    def checkin(self, device: Device, moment: datetime, plan: InstallPlan) -> None:
        for app_id, (intents, rate) in plan.items():
            intent = intents.get(device.object_id)
            if intent is None:
                continue
            state = device.app_states.get(app_id, ("", "", moment))[0]
            if intent == "required" and state != "installed":
                attempt = device.attempts.get(app_id, 0)
                if attempt >= MAX_ATTEMPTS:
                    continue
                device.attempts[app_id] = attempt + 1
                # a broken build fails on the same devices at every retry, as real ones do
                ok = stable_unit(self.seed, device.name, app_id, "install") < rate
                device.app_states[app_id] = (
                    ("installed", "0x0", moment) if ok else ("failed", FAILED_HEX, moment)
                )
            elif intent == "uninstall" and state in {"installed", "uninstallFailed"}:
                ok = (
                    stable_unit(self.seed, device.name, app_id, "uninstall", moment.isoformat())
                    < rate
                )
                device.app_states[app_id] = (
                    ("notInstalled", "0x0", moment)
                    if ok
                    else ("uninstallFailed", FAILED_HEX, moment)
                )
                device.attempts.pop(app_id, None)
