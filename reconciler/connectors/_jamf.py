"""Jamf Pro connector: macOS apps as a package plus the Classic policy that installs it.

Sits in the observe and apply steps: implements the domain's ``TenantConnector`` port for
macOS. How an EUCORA "app" maps onto Jamf Pro:

* the **package** (Jamf Pro API ``/api/v1/packages``) is the app: its id is the app id and
  its ``notes`` carry the ownership marker, followed by a line
  ``bundleId=… bundleVersion=…`` that says how to recognise the installed app;
* the **install policy** (Classic API, XML) installs it: ``Install`` action for the
  package, scoped to the ring computer groups. Classic policies have no notes field, so
  the policy is linked by name — it ends in ``(eucora:<intent>)`` — and by the package id
  it installs, and only a policy satisfying both counts;
* assignments map onto policy scope: ``required`` group targets → scoped computer groups,
  exclusion targets → scope exclusions, all devices → ``all_computers``; ``uninstall``
  targets → a second policy ``… (eucora:<intent> uninstall)`` with the ``Uninstall``
  action (Jamf can only uninstall indexed packages), deleted when no uninstall target is
  left. ``available`` and all-users targets have no Jamf counterpart and are refused.

Install evidence per ring group comes from ``computers-inventory`` (applications matched by
bundle id and version, or the package in the Jamf Pro receipts) and, for computers in
scope without that evidence, from their policy logs (``Completed`` / ``Failed``).
Jamf Pro has no rate limiter: at most ``concurrency`` (5) requests are in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TypeVar

import httpx
import structlog

from reconciler.connectors._http import ServiceClient
from reconciler.domain.errors import (
    ConflictError,
    NotFoundError,
    PermanentTenantError,
    RequestRejectedError,
)
from reconciler.domain.ports import PackageStore
from reconciler.domain.tenant import (
    Assignment,
    AssignmentIntent,
    DesiredApp,
    DeviceInstall,
    InstallCounts,
    ObservedApp,
    OwnershipMarker,
    Platform,
    TargetKind,
    TenantSnapshot,
    format_marker,
    parse_marker,
)

PACKAGES = "/api/v1/packages"
#: v1 is deprecated since 2025-06-30; v3 replaces it (a v4 is announced for 2027)
INVENTORY = "/api/v3/computers-inventory"
REFRESH_INVENTORY = "/api/v1/cloud-distribution-point/refresh-inventory"
#: filled in by Jamf Pro from the uploaded file (at a cloud distribution point inventory
#: refresh), never by the client: evidence that content is in. ``size`` alone is not —
#: a metadata PUT blanks it until the next refresh.
CONTENT_EVIDENCE = ("hashValue", "md5", "size")
POLICIES = "/JSSResource/policies"
GROUPS = "/JSSResource/computergroups"
HISTORY = "/JSSResource/computerhistory/id/{id}/subset/PolicyLogs"
JSON = {"Accept": "application/json"}
XML = {"Content-Type": "application/xml", "Accept": "application/xml"}
MAX_CONCURRENCY = 5
INVENTORY_SECTIONS = ("GENERAL", "APPLICATIONS", "PACKAGE_RECEIPTS", "GROUP_MEMBERSHIPS")
#: properties of the package EUCORA owns and compares for drift
PACKAGE_OWNED = ("packageName", "fileName", "rebootRequired", "osRequirements", "info")
_POLICY_NAME = re.compile(r"\(eucora:(?P<intent>[a-z0-9][-a-z0-9.]*)(?P<uninstall> uninstall)?\)$")
_BUNDLE = re.compile(r"\bbundleId=(?P<id>\S+)(?:\s+bundleVersion=(?P<version>\S+))?")
_CREATED_ID = re.compile(r"<id>\s*(-?\d+)\s*</id>")
T = TypeVar("T")
log = structlog.get_logger("eucora.jamf")


@dataclass
class _Policy:
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


@dataclass
class _Computer:
    id: str
    groups: set[str] = field(default_factory=set)
    applications: list[dict[str, Any]] = field(default_factory=list)
    receipts: set[str] = field(default_factory=set)
    #: ``general.lastContactTime``, else ``general.reportDate``
    last_contact: datetime | None = None
    report_date: datetime | None = None


def policy_name(display_name: str, intent: str, *, uninstall: bool = False) -> str:
    """``<display name> (eucora:<intent>)``: people read the start, the connector the end."""
    suffix = f"(eucora:{intent}{' uninstall' if uninstall else ''})"
    return f"{display_name} {suffix}"


def package_notes(app: DesiredApp) -> str:
    """The marker, then how to recognise the installed app in inventory."""
    notes = format_marker(app.intent, app.digest)
    bundle = app.properties.get("bundleId")
    if bundle:
        version = app.properties.get("bundleVersion") or app.version
        notes += f"\nbundleId={bundle} bundleVersion={version}"
    return notes


class JamfConnector:
    """macOS apps in one Jamf Pro server (``TenantConnector``)."""

    platform = Platform.MACOS

    def __init__(
        self,
        jamf: ServiceClient,
        *,
        page_size: int = 100,
        inventory_page_size: int = 500,
        concurrency: int = MAX_CONCURRENCY,
        package_category_id: str = "-1",
        policy_category: str | None = None,
        read_policy_logs: bool = True,
    ) -> None:
        self.jamf = jamf
        self.page_size = page_size
        self.inventory_page_size = inventory_page_size
        self.package_category_id = package_category_id
        self.policy_category = policy_category
        self.read_policy_logs = read_policy_logs
        self._limit = asyncio.Semaphore(min(concurrency, MAX_CONCURRENCY))
        #: package id → intent, learnt from snapshots and creates (saves a read per write)
        self._intents: dict[str, str] = {}
        #: packages this connector uploaded (by digest of the intent): Jamf Cloud may take a
        #: while after the inventory refresh to compute their size and hashes, and a pass
        #: in between must not upload them again
        self._uploaded: dict[str, str] = {}
        #: (computer id, install policy id) → when the install was first seen done; an
        #: install's time does not change, so its policy log is read once
        self._installed_at: dict[tuple[str, str], datetime | None] = {}

    # --- reads -----------------------------------------------------------------

    async def snapshot(self, ring_groups: Sequence[str]) -> TenantSnapshot:
        before = self.jamf.requests
        packages = await self.list_packages()
        policies = await self._managed_policies()
        by_package = {str(p["id"]): p for p in packages}
        linked: dict[str, list[_Policy]] = {}
        for policy in policies:
            for package_id, _action in policy.packages:
                package = by_package.get(package_id)
                marker = parse_marker(package.get("notes")) if package else None
                if marker is not None and marker.intent == policy.intent:
                    linked.setdefault(package_id, []).append(policy)
        install: dict[str, tuple[dict[str, InstallCounts], dict[str, tuple[DeviceInstall, ...]]]]
        install = {}
        managed = [p for p in packages if parse_marker(p.get("notes")) is not None]
        if ring_groups and managed:
            install = await self._install_counts(
                [str(g) for g in ring_groups], managed, linked, by_package
            )
        apps = []
        for package in packages:
            package_id = str(package["id"])
            marker = parse_marker(package.get("notes"))
            if marker is not None:
                self._intents[package_id] = marker.intent
            apps.append(
                self._observed(
                    package, marker, linked.get(package_id, []), *install.get(package_id, ({}, {}))
                )
            )
        return TenantSnapshot(Platform.MACOS, tuple(apps), requests=self.jamf.requests - before)

    async def list_packages(self, rsql: str | None = None) -> list[dict[str, Any]]:
        """Every package (or those matching an RSQL filter), all pages, oldest first."""
        params: dict[str, Any] = {"page-size": self.page_size, "sort": "id:asc"}
        if rsql:
            params["filter"] = rsql
        return await self._pro_pages(PACKAGES, params)

    async def _pro_pages(self, path: str, params: Any) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        page = 0
        while True:
            query = [*_pairs(params), ("page", page)]
            body = (await self.jamf.request("GET", path, params=query)).json()
            batch = body.get("results") or []
            results.extend(batch)
            page += 1
            if not batch or len(results) >= int(body.get("totalCount", 0)):
                return results

    async def package(self, package_id: str) -> dict[str, Any]:
        body: dict[str, Any] = (await self.jamf.request("GET", f"{PACKAGES}/{package_id}")).json()
        return body

    async def _policy_list(self) -> list[dict[str, Any]]:
        body = (await self.jamf.request("GET", POLICIES, headers=JSON)).json()
        items = body.get("policies") or []
        if isinstance(items, dict):  # some servers wrap a single entry
            items = items.get("policy") or []
        return [items] if isinstance(items, dict) else list(items)

    async def _policies_of(self, intent: str | None = None) -> list[tuple[str, str, str, bool]]:
        """(id, name, intent, uninstall) of EUCORA's policies, by name."""
        found = []
        for item in await self._policy_list():
            match = _POLICY_NAME.search(str(item.get("name", "")).strip())
            if match and (intent is None or match["intent"] == intent):
                found.append(
                    (str(item["id"]), str(item["name"]), match["intent"], bool(match["uninstall"]))
                )
        return found

    async def _managed_policies(self) -> list[_Policy]:
        named = await self._policies_of()
        return list(
            await self._gather(
                self._read_policy(pid, name, intent, uninstall)
                for pid, name, intent, uninstall in named
            )
        )

    async def _read_policy(self, pid: str, name: str, intent: str, uninstall: bool) -> _Policy:
        try:
            body = (await self.jamf.request("GET", f"{POLICIES}/id/{pid}", headers=JSON)).json()
        except NotFoundError:  # deleted between the list and the read
            return _Policy(pid, name, intent, uninstall, packages=())
        data = body.get("policy") or {}
        general = data.get("general") or {}
        scope = data.get("scope") or {}
        exclusions = scope.get("exclusions") or {}
        packages = _entries((data.get("package_configuration") or {}).get("packages"), "package")
        return _Policy(
            id=pid,
            name=name,
            intent=intent,
            uninstall=uninstall,
            enabled=_truthy(general.get("enabled", True)),
            frequency=str(general.get("frequency") or ""),
            all_computers=_truthy(scope.get("all_computers", False)),
            groups=tuple(_ids(scope.get("computer_groups"), "computer_group")),
            excluded=tuple(_ids(exclusions.get("computer_groups"), "computer_group")),
            computers=tuple(_ids(scope.get("computers"), "computer")),
            packages=tuple(
                (str(p.get("id")), str(p.get("action") or "Install"))
                for p in packages
                if p.get("id") is not None
            ),
        )

    def _observed(
        self,
        package: dict[str, Any],
        marker: OwnershipMarker | None,
        policies: list[_Policy],
        install: dict[str, InstallCounts],
        devices: dict[str, tuple[DeviceInstall, ...]],
    ) -> ObservedApp:
        properties: dict[str, Any] = {k: package[k] for k in PACKAGE_OWNED if k in package}
        bundle = _BUNDLE.search(str(package.get("notes") or ""))
        if bundle:
            properties["bundleId"] = bundle["id"]
            if bundle["version"]:
                properties["bundleVersion"] = bundle["version"]
        install_policy = next((p for p in policies if not p.uninstall), None)
        uninstall_policy = next((p for p in policies if p.uninstall), None)
        if install_policy is not None:
            properties["policyEnabled"] = install_policy.enabled
            properties["policyFrequency"] = install_policy.frequency
        assignments: list[Assignment] = []
        for policy in policies:
            assignments += policy.assignments()
        return ObservedApp(
            platform=Platform.MACOS,
            id=str(package["id"]),
            display_name=str(package.get("packageName", "")),
            version=str(properties.get("bundleVersion", "")),
            marker=marker,
            properties=MappingProxyType(properties),
            assignments=tuple(sorted(set(assignments))),
            content_ready=_content_ready(package)
            or (marker is not None and self._uploaded.get(str(package["id"])) == marker.digest),
            enabled=install_policy.enabled if install_policy is not None else False,
            install=MappingProxyType(install),
            devices=MappingProxyType(devices),
            extra=MappingProxyType(
                {
                    "policyId": install_policy.id if install_policy else None,
                    "uninstallPolicyId": uninstall_policy.id if uninstall_policy else None,
                    "scopedComputers": list(install_policy.computers) if install_policy else [],
                }
            ),
        )

    async def inventory(self, sections: Sequence[str] = INVENTORY_SECTIONS) -> list[dict[str, Any]]:
        """Every computer's inventory with the given sections, all pages."""
        params = [("section", s) for s in sections] + [
            ("page-size", self.inventory_page_size),
            ("sort", "id:asc"),
        ]
        return await self._pro_pages(INVENTORY, params)

    async def _install_counts(
        self,
        ring_groups: list[str],
        managed: list[dict[str, Any]],
        linked: dict[str, list[_Policy]],
        by_package: dict[str, dict[str, Any]],
    ) -> dict[str, tuple[dict[str, InstallCounts], dict[str, tuple[DeviceInstall, ...]]]]:
        """Per package and ring group: installed / failed / pending among computers in scope
        of its install policy, and each of those computers (and those in scope of its
        uninstall policy) as a :class:`DeviceInstall`."""
        wanted = set(ring_groups)
        computers = [c for c in (_computer(r) for r in await self.inventory()) if c.groups & wanted]
        # (package id, policy, computers in scope, evidence test)
        targets = []
        for package_id in (str(p["id"]) for p in managed):
            for policy in linked.get(package_id, []):
                scoped = [c for c in computers if _in_scope(policy, c)]
                targets.append((package_id, policy, scoped, _evidence(by_package[package_id])))
        unresolved = {
            c.id
            for _pid, policy, scoped, present in targets
            for c in scoped
            if policy.uninstall or not present(c) or (c.id, policy.id) not in self._installed_at
        }
        logs: dict[str, dict[str, tuple[str, datetime | None]]] = {}
        if self.read_policy_logs and unresolved:
            ids = sorted(unresolved, key=int)
            runs = await self._gather(self._latest_policy_runs(i) for i in ids)
            logs = dict(zip(ids, runs, strict=True))
        result: dict[str, tuple[dict[str, InstallCounts], dict[str, tuple[DeviceInstall, ...]]]]
        result = {}
        for package_id, policy, scoped, present in targets:
            per_group, devices = result.setdefault(package_id, ({}, {}))
            for computer in scoped:
                status, ran_at = logs.get(computer.id, {}).get(policy.id, ("", None))
                device = _device_install(computer, present(computer), status, ran_at, policy)
                key = (computer.id, policy.id)
                if not policy.uninstall and device.state == "installed":
                    if key in self._installed_at:
                        device = replace(device, reached_at=self._installed_at[key])
                    else:
                        self._installed_at[key] = device.reached_at
                else:
                    self._installed_at.pop(key, None)
                for group in sorted(computer.groups & wanted):
                    devices[group] = (*devices.get(group, ()), device)
                    if not policy.uninstall:
                        per_group[group] = per_group.get(group, InstallCounts()) + _as_count(
                            device.state
                        )
        return result

    async def _latest_policy_runs(self, computer_id: str) -> dict[str, tuple[str, datetime | None]]:
        """policy id → (status in lower case, when) of that policy's latest run on the
        computer."""
        try:
            response = await self.jamf.request("GET", HISTORY.format(id=computer_id), headers=JSON)
        except NotFoundError:  # the computer left Jamf since the inventory was read
            return {}
        entries = _policy_log_entries(response)
        latest: dict[str, tuple[tuple[int, float | str], str]] = {}
        for position, entry in enumerate(entries):
            policy_id = str(entry.get("policy_id", "")).strip()
            if not policy_id:
                continue
            key = _log_time(entry, position, len(entries))
            if policy_id not in latest or key > latest[policy_id][0]:
                latest[policy_id] = (key, str(entry.get("status", "")).strip().lower())
        return {pid: (status, _key_time(key)) for pid, (key, status) in latest.items()}

    async def ring_group_members(self, group_id: str | int) -> list[str]:
        """Ids of the computers in a (static or smart) computer group."""
        body = (await self.jamf.request("GET", f"{GROUPS}/id/{group_id}", headers=JSON)).json()
        group = body.get("computer_group") or {}
        return _ids(group.get("computers"), "computer")

    async def list_groups(self) -> list[dict[str, Any]]:
        """Computer groups: id, name, is_smart."""
        body = (await self.jamf.request("GET", GROUPS, headers=JSON)).json()
        return list(_entries(body.get("computer_groups"), "computer_group"))

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
            f"{GROUPS}/id/0", content=_xml(root), headers=XML, find=existing, parse=_created_id
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
        for tag, ids in (("computer_additions", add), ("computer_deletions", remove)):
            node = ET.SubElement(root, tag)
            for cid in ids:
                ET.SubElement(ET.SubElement(node, "computer"), "id").text = str(cid)
        await self.jamf.request("PUT", f"{GROUPS}/id/{group_id}", content=_xml(root), headers=XML)

    async def delete_group(self, group_id: str | int) -> None:
        try:
            await self.jamf.request("DELETE", f"{GROUPS}/id/{group_id}", headers=XML)
        except NotFoundError:
            return

    # --- writes: apps ------------------------------------------------------------

    def package_payload(self, app: DesiredApp) -> dict[str, Any]:
        """The Jamf Pro package body for ``app``, marker and bundle line in ``notes``."""
        properties = app.properties
        payload: dict[str, Any] = {
            "packageName": str(properties.get("packageName") or app.display_name),
            "fileName": str(properties.get("fileName") or app.package.file.rsplit("/", 1)[-1]),
            "categoryId": self.package_category_id,
            "priority": 10,
            "fillUserTemplate": False,
            "rebootRequired": bool(properties.get("rebootRequired", False)),
            "osInstall": False,
            "suppressUpdates": False,
            "suppressFromDock": False,
            "suppressEula": False,
            "suppressRegistration": False,
            "info": properties.get("info"),
            "notes": package_notes(app),
            "osRequirements": str(properties.get("osRequirements") or ""),
        }
        if app.package.sha256:
            payload["sha256"] = app.package.sha256
        return payload

    async def create_app(self, app: DesiredApp) -> str:
        """The package and its (unscoped) install policy.

        Idempotent: a package of the same name that already carries this intent's marker
        is brought up to date and reused; one without it is someone else's (ConflictError).
        """
        payload = self.package_payload(app)
        name = payload["packageName"]

        async def existing() -> str | None:
            for package in await self.list_packages(_rsql_equals("packageName", name)):
                marker = parse_marker(package.get("notes"))
                if marker is None or marker.intent != app.intent:
                    raise ConflictError(
                        f"jamf package {name!r} (id {package['id']}) exists and is not "
                        f"managed for intent {app.intent}",
                        service=self.jamf.service,
                    )
                return str(package["id"])
            return None

        package_id = await existing()
        if package_id is None:
            package_id = await self.jamf.create(
                PACKAGES, json=payload, find=existing, parse=lambda r: str(r.json()["id"])
            )
        else:
            await self.jamf.request("PUT", f"{PACKAGES}/{package_id}", json=payload)
        self._intents[package_id] = app.intent
        await self._ensure_policy(package_id, app, uninstall=False)
        return package_id

    async def update_app(self, app_id: str, app: DesiredApp) -> None:
        """Package fields and marker, and the install policy's general settings (created if
        it went missing); the scope is left to :meth:`set_assignments`."""
        await self._managed_intent(app_id)
        await self.jamf.request("PUT", f"{PACKAGES}/{app_id}", json=self.package_payload(app))
        self._intents[app_id] = app.intent
        await self._ensure_policy(app_id, app, uninstall=False)

    async def upload_content(self, app_id: str, app: DesiredApp, store: PackageStore) -> None:
        """Multipart upload of the installer (checked against the intent by the store)."""
        path = await store.local_file(app.package)
        file_name = self.package_payload(app)["fileName"]
        with path.open("rb") as installer:  # streamed by httpx (and rewound on a retry)
            await self.jamf.request(
                "POST",
                f"{PACKAGES}/{app_id}/upload",
                files={"file": (file_name, installer, "application/octet-stream")},
            )
        self._uploaded[app_id] = app.digest
        # Jamf Cloud computes size and hashes when the distribution point inventory is
        # refreshed; until then the package looks empty
        await self.jamf.request("POST", REFRESH_INVENTORY)

    async def set_assignments(self, app_id: str, assignments: Sequence[Assignment]) -> None:
        """Scope the install policy (and the uninstall policy) to exactly ``assignments``."""
        install, uninstall = _split_assignments(assignments)
        intent = await self._managed_intent(app_id)
        named = await self._policies_of(intent)
        package: dict[str, Any] | None = None
        for wanted, is_uninstall in ((install, False), (uninstall, True)):
            current = next((pid for pid, _n, _i, u in named if u == is_uninstall), None)
            if is_uninstall and not wanted.any():
                if current is not None:
                    await self._delete_policy(current)
                continue
            if current is None:
                package = package or await self.package(app_id)
                current = await self._create_policy(
                    app_id, str(package.get("packageName", app_id)), intent, None, is_uninstall
                )
            await self.jamf.request(
                "PUT", f"{POLICIES}/id/{current}", content=_xml(wanted.scope_xml()), headers=XML
            )

    async def delete_app(self, app_id: str) -> None:
        """The package's policies, then the package; what is already gone counts as deleted."""
        try:
            intent = await self._managed_intent(app_id)
        except NotFoundError:
            return
        for pid, _name, _intent, _uninstall in await self._policies_of(intent):
            await self._delete_policy(pid)
        with contextlib.suppress(NotFoundError):
            await self.jamf.request("DELETE", f"{PACKAGES}/{app_id}")
        self._intents.pop(app_id, None)
        self._uploaded.pop(app_id, None)

    async def aclose(self) -> None:
        await self.jamf.aclose()

    # --- helpers -----------------------------------------------------------------

    async def _managed_intent(self, package_id: str) -> str:
        """The intent a package belongs to; refuses packages without the marker.

        Known from this connector's last snapshot or create, else read from the package.
        """
        if package_id in self._intents:
            return self._intents[package_id]
        package = await self.package(package_id)
        marker = parse_marker(package.get("notes"))
        if marker is None:
            raise ConflictError(
                f"jamf package {package_id} carries no ownership marker; EUCORA leaves it alone",
                service=self.jamf.service,
            )
        self._intents[package_id] = marker.intent
        return marker.intent

    async def _ensure_policy(self, package_id: str, app: DesiredApp, *, uninstall: bool) -> str:
        named = await self._policies_of(app.intent)
        current = next((pid for pid, _n, _i, u in named if u == uninstall), None)
        if current is None:
            return await self._create_policy(
                package_id, app.display_name, app.intent, app, uninstall
            )
        root = self._policy_xml(package_id, app.display_name, app.intent, app, uninstall)
        root.remove(_child(root, "scope"))  # scope belongs to set_assignments
        await self.jamf.request("PUT", f"{POLICIES}/id/{current}", content=_xml(root), headers=XML)
        return current

    async def _create_policy(
        self,
        package_id: str,
        display_name: str,
        intent: str,
        app: DesiredApp | None,
        uninstall: bool,
    ) -> str:
        name = policy_name(display_name, intent, uninstall=uninstall)
        root = self._policy_xml(package_id, display_name, intent, app, uninstall)

        async def existing() -> str | None:
            return next(
                (pid for pid, _n, _i, u in await self._policies_of(intent) if u == uninstall),
                None,
            )

        try:
            return await self.jamf.create(
                f"{POLICIES}/id/0",
                content=_xml(root),
                headers=XML,
                find=existing,
                parse=_created_id,
            )
        except ConflictError:
            # "Duplicate name": made meanwhile by another pass; use it
            found = await existing()
            if found is None:
                raise
            log.info("jamf.policy_reused", policy=name)
            return found

    def _policy_xml(
        self,
        package_id: str,
        display_name: str,
        intent: str,
        app: DesiredApp | None,
        uninstall: bool,
    ) -> ET.Element:
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
        if self.policy_category:
            ET.SubElement(ET.SubElement(general, "category"), "name").text = self.policy_category
        root.append(_Scope().element())
        configuration = ET.SubElement(root, "package_configuration")
        packages = ET.SubElement(configuration, "packages")
        ET.SubElement(packages, "size").text = "1"
        package = ET.SubElement(packages, "package")
        ET.SubElement(package, "id").text = package_id
        ET.SubElement(package, "action").text = "Uninstall" if uninstall else "Install"
        ET.SubElement(ET.SubElement(root, "maintenance"), "recon").text = "true"
        return root

    async def _delete_policy(self, policy_id: str) -> None:
        try:
            await self.jamf.request("DELETE", f"{POLICIES}/id/{policy_id}", headers=XML)
        except NotFoundError:
            return

    async def _gather(self, calls: Iterable[Awaitable[T]]) -> list[T]:
        async def limited(call: Awaitable[T]) -> T:
            async with self._limit:
                return await call

        return list(await asyncio.gather(*(limited(c) for c in calls)))


@dataclass
class _Scope:
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


def _split_assignments(assignments: Sequence[Assignment]) -> tuple[_Scope, _Scope]:
    install, uninstall = _Scope(), _Scope()
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


def _content_ready(package: dict[str, Any]) -> bool:
    return any(str(package.get(k) or "") not in {"", "0", "None"} for k in CONTENT_EVIDENCE)


def _computer(record: dict[str, Any]) -> _Computer:
    receipts = (record.get("packageReceipts") or {}).get("installedByJamfPro") or []
    general = record.get("general") or {}
    reported = _aware(str(general.get("reportDate") or ""))
    return _Computer(
        id=str(record.get("id")),
        groups={str(g.get("groupId")) for g in record.get("groupMemberships") or []},
        applications=list(record.get("applications") or []),
        receipts={str(r) for r in receipts},
        last_contact=_aware(str(general.get("lastContactTime") or "")) or reported,
        report_date=reported,
    )


def _aware(text: str) -> datetime | None:
    moment = _iso(text) if text else None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _key_time(key: tuple[int, float | str]) -> datetime | None:
    """The time of a :func:`_log_time` key, when the entry had one."""
    rank, value = key
    return datetime.fromtimestamp(float(value) / 1000, UTC) if rank == 2 else None


def _device_install(
    computer: _Computer, present: bool, status: str, ran_at: datetime | None, policy: _Policy
) -> DeviceInstall:
    """A computer in scope of an install (or uninstall) policy: inventory evidence first,
    then the policy's latest log entry. Installed counts from the log's completion time,
    else from the inventory report that showed it."""
    device = f"macos:{computer.id}"
    if policy.uninstall:
        state = "installed" if present else "uninstalled"
        return DeviceInstall(device, state, computer.last_contact, None)
    if present:
        when = ran_at if status == "completed" and ran_at else computer.report_date
        return DeviceInstall(device, "installed", computer.last_contact, when)
    if status == "completed":
        return DeviceInstall(device, "installed", computer.last_contact, ran_at)
    state = "failed" if status == "failed" else "pending"
    return DeviceInstall(device, state, computer.last_contact, None)


def _as_count(state: str) -> InstallCounts:
    if state == "installed":
        return InstallCounts(installed=1)
    if state == "failed":
        return InstallCounts(failed=1)
    return InstallCounts(pending=1)


def _in_scope(policy: _Policy, computer: _Computer) -> bool:
    if computer.groups & set(policy.excluded):
        return False
    return (
        policy.all_computers
        or bool(computer.groups & set(policy.groups))
        or computer.id in policy.computers
    )


def _evidence(package: dict[str, Any]) -> Callable[[_Computer], bool]:
    """Whether inventory shows the package's app: bundle id (and version), or its receipt."""
    bundle = _BUNDLE.search(str(package.get("notes") or ""))
    file_name = str(package.get("fileName") or "")

    def present(computer: _Computer) -> bool:
        if file_name and file_name in computer.receipts:
            return True
        if bundle is None:
            return False
        return any(
            a.get("bundleId") == bundle["id"]
            and (not bundle["version"] or str(a.get("version")) == bundle["version"])
            for a in computer.applications
        )

    return present


def _policy_log_entries(response: httpx.Response) -> list[dict[str, Any]]:
    """Policy log entries from a JSON or XML computer history answer."""
    if "json" in response.headers.get("Content-Type", ""):
        body = response.json()
        history = body.get("computer_history") or body
        return list(_entries(history.get("policy_logs"), "policy_log"))
    try:
        root = ET.fromstring(response.text)  # noqa: S314 - expat refuses entity expansion bombs
    except ET.ParseError:
        return []
    return [{child.tag: (child.text or "") for child in node} for node in root.iter("policy_log")]


def _log_time(entry: dict[str, Any], position: int, count: int) -> tuple[int, float | str]:
    """Sort key of a log entry: epoch milliseconds, else a parsable date, else the position
    (Jamf lists the newest first)."""
    epoch = str(entry.get("date_completed_epoch") or "").strip()
    if epoch.isdigit():
        return (2, float(epoch))
    for key in ("date_completed_utc", "date_completed"):
        text = str(entry.get(key) or "").strip()
        if not text:
            continue
        for parse in (_iso, _jamf_local):
            moment = parse(text)
            if moment is not None:
                return (2, moment.timestamp() * 1000)
    return (1, float(count - position))


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _jamf_local(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y/%m/%d at %I:%M %p")
    except ValueError:
        return None


def _entries(value: Any, tag: str) -> Iterable[dict[str, Any]]:
    """Classic JSON lists arrive as a list, or wrapped as ``{tag: item | [items]}``."""
    if isinstance(value, dict):
        value = value.get(tag, [])
    if isinstance(value, dict):
        value = [value]
    return [v for v in value or [] if isinstance(v, dict)]


def _ids(value: Any, tag: str) -> list[str]:
    return [str(e["id"]) for e in _entries(value, tag) if e.get("id") is not None]


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


def _pairs(params: Any) -> list[tuple[str, Any]]:
    return list(params.items()) if isinstance(params, dict) else list(params)


def _rsql_equals(field_name: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{field_name}=="{escaped}"'


def _created_id(response: httpx.Response) -> str:
    match = _CREATED_ID.search(response.text)
    if match is None:
        raise PermanentTenantError(
            f"jamf answered a create without an id: {response.text[:200]!r}", service="jamf"
        )
    return match[1]


def _child(root: ET.Element, tag: str) -> ET.Element:
    node = root.find(tag)
    if node is None:  # pragma: no cover - built by this module
        raise KeyError(tag)
    return node


def _xml(root: ET.Element) -> bytes:
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text
