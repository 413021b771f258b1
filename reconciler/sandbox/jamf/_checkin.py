"""What a Jamf-managed Mac does when it checks in: it runs every enabled policy whose scope
(all computers, or its groups minus exclusions) includes it. Packages with action Install
appear in inventory ``applications`` and ``packageReceipts.installedByJamfPro``,
Uninstall removes them, and a policy log entry is written. "Once per computer" policies
do not run again once completed; a failed policy is retried up to three attempts.
"""

from __future__ import annotations

import re
from datetime import datetime

from reconciler.domain.tenant import parse_marker
from reconciler.sandbox._fleet import Device, stable_unit
from reconciler.sandbox.jamf._state import JamfState

#: per enabled policy: id, name, computers in scope, (package id, action), rate, frequency
PolicyPlan = list[tuple[int, str, set[int], list[tuple[int, str]], float, str]]
MAX_ATTEMPTS = 3


class JamfCheckin(JamfState):
    def policy_plan(self) -> PolicyPlan:
        plan = []
        group_sets = {gid: set(g.members) for gid, g in self.groups.items()}
        for policy in self.policies.values():
            if not policy.enabled:
                continue
            if policy.all_computers():
                scope = set(self.computers)
            else:
                scope = set().union(*(group_sets.get(g, set()) for g in policy.group_ids()))
            for gid in policy.excluded_group_ids():
                scope -= group_sets.get(gid, set())
            packages = [(pid, action) for pid, action in policy.packages() if pid in self.packages]
            names: list[str | None] = [policy.name, policy.text("general/category/name")]
            marker = parse_marker(policy.text("general/notes")) or parse_marker(
                policy.text("general/category/name")
            )
            for pid, _ in packages:
                package_marker = parse_marker(self.packages[pid].get("notes")) or marker
                names += [
                    self.packages[pid].get("packageName"),
                    package_marker.intent if package_marker else None,
                ]
            if marker:
                names.append(marker.intent)
            rate = self.outcomes.rate(*names)
            frequency = policy.text("general/frequency", "Once per computer")
            plan.append((policy.id, policy.name, scope, packages, rate, frequency))
        return plan

    def checkin(self, device: Device, moment: datetime, plan: PolicyPlan) -> None:
        for policy_id, name, scope, packages, rate, frequency in plan:
            if device.jamf_id not in scope:
                continue
            key = f"policy:{policy_id}"
            state = device.app_states.get(key, ("", "", moment))[0]
            if frequency != "Ongoing" and state == "installed":
                continue
            attempt = device.attempts.get(key, 0)
            if state == "failed" and attempt >= MAX_ATTEMPTS:
                continue
            device.attempts[key] = attempt + 1
            ok = stable_unit(self.seed, device.name, key) < rate
            device.app_states[key] = ("installed" if ok else "failed", "", moment)
            if ok:
                for pid, action in packages:
                    self._apply_package(device, moment, pid, action)
            epoch_ms = int(moment.timestamp() * 1000)
            device.policy_logs.append(
                {
                    "policy_id": policy_id,
                    "policy_name": name,
                    "username": "",
                    "date_completed": moment.strftime("%Y/%m/%d at %-I:%M %p"),
                    "date_completed_epoch": epoch_ms,
                    "date_completed_utc": moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                    "status": "Completed" if ok else "Failed",
                }
            )

    def _apply_package(self, device: Device, moment: datetime, pid: int, action: str) -> None:
        package = self.packages[pid]
        stem = re.sub(r"\.(pkg|dmg|mpkg)$", "", str(package["fileName"]))
        bare = str(package["packageName"]).removesuffix(".pkg").removesuffix(".dmg")
        app_name = f"{bare}.app"
        if action.lower() == "uninstall":
            device.applications.pop(app_name, None)
            device.app_states.pop(f"pkg:{pid}", None)
            return
        version_match = re.search(r"(\d+(?:\.\d+)+)", stem)
        device.applications[app_name] = {
            "name": app_name,
            "path": f"/Applications/{app_name}",
            "version": version_match.group(1) if version_match else "1.0",
            "macAppStore": False,
            "sizeMegabytes": max(1, int(package.get("size") or 0) // 1_000_000),
            "bundleId": f"com.sandbox.{re.sub(r'[^A-Za-z0-9]+', '', stem).lower()}",
            "updateAvailable": False,
            "externalVersionId": None,
        }
        device.app_states[f"pkg:{pid}"] = ("installed", "", moment)
