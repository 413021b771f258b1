"""Jamf Pro connector: macOS apps as a package plus the Classic policy that installs it.

Sits in the observe and apply steps: implements the domain's ``TenantConnector`` port for
the ``jamf`` provider. How an EUCORA "app" maps onto Jamf Pro:

* the **package** (Jamf Pro API ``/api/v1/packages``) is the app: its id is the app id and
  its ``notes`` carry the ownership marker, followed by a line
  ``bundleId=… bundleVersion=…`` that says how to recognise the installed app;
* the **install policy** (Classic API, XML) installs it: ``Install`` action for the
  package, scoped to the ring computer groups (:mod:`.policies`);
* assignments map onto policy scope; ``uninstall`` targets → a second policy
  ``… (eucora:<intent> uninstall)`` with the ``Uninstall`` action, deleted when no
  uninstall target is left.

Install evidence per ring group comes from ``computers-inventory`` and policy logs
(:mod:`.inventory`, read by :class:`~.reads.JamfReads`). Jamf Pro has no rate limiter:
at most ``concurrency`` (5) requests are in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

import structlog

from reconciler.connectors.core.http import ServiceClient
from reconciler.connectors.jamf.groups import ComputerGroups
from reconciler.connectors.jamf.import_reads import package_object
from reconciler.connectors.jamf.inventory import BUNDLE, content_ready
from reconciler.connectors.jamf.policies import (
    POLICIES,
    Policy,
    policy_name,
    policy_xml,
    split_assignments,
)
from reconciler.connectors.jamf.reads import PACKAGES, JamfReads
from reconciler.connectors.jamf.wire import XML, child, created_id, rsql_equals, to_xml
from reconciler.domain.documents.imported import TenantObject
from reconciler.domain.errors import ConflictError, NotFoundError
from reconciler.domain.ports import PackageStore
from reconciler.domain.tenant import (
    Assignment,
    DesiredApp,
    DeviceInstall,
    InstallCounts,
    ObservedApp,
    OwnershipMarker,
    Platform,
    TenantSnapshot,
    format_marker,
    parse_marker,
)

REFRESH_INVENTORY = "/api/v1/cloud-distribution-point/refresh-inventory"
MAX_CONCURRENCY = 5
#: properties of the package EUCORA owns and compares for drift
PACKAGE_OWNED = ("packageName", "fileName", "rebootRequired", "osRequirements", "info")
log = structlog.get_logger("eucora.jamf")


def package_notes(app: DesiredApp) -> str:
    """The marker, then how to recognise the installed app in inventory."""
    notes = format_marker(app.intent, app.digest)
    bundle = app.properties.get("bundleId")
    if bundle:
        version = app.properties.get("bundleVersion") or app.version
        notes += f"\nbundleId={bundle} bundleVersion={version}"
    return notes


class JamfConnector(JamfReads, ComputerGroups):
    """macOS apps in one Jamf Pro server (``TenantConnector``)."""

    provider = "jamf"
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
        linked: dict[str, list[Policy]] = {}
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
        return TenantSnapshot(
            Platform.MACOS,
            tuple(apps),
            requests=self.jamf.requests - before,
            provider=self.provider,
        )

    def _observed(
        self,
        package: dict[str, Any],
        marker: OwnershipMarker | None,
        policies: list[Policy],
        install: dict[str, InstallCounts],
        devices: dict[str, tuple[DeviceInstall, ...]],
    ) -> ObservedApp:
        properties: dict[str, Any] = {k: package[k] for k in PACKAGE_OWNED if k in package}
        bundle = BUNDLE.search(str(package.get("notes") or ""))
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
        ready = content_ready(package) or (
            marker is not None and self._uploaded.get(str(package["id"])) == marker.digest
        )
        return ObservedApp(
            platform=Platform.MACOS,
            id=str(package["id"]),
            display_name=str(package.get("packageName", "")),
            version=str(properties.get("bundleVersion", "")),
            marker=marker,
            properties=MappingProxyType(properties),
            assignments=tuple(sorted(set(assignments))),
            content_ready=ready,
            enabled=install_policy.enabled if install_policy is not None else False,
            # the uninstall policy, or the content it is made from when a rollback scopes it
            removable=uninstall_policy is not None or ready,
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

    # --- import ------------------------------------------------------------------

    async def import_objects(self) -> tuple[TenantObject, ...]:
        """Every package, managed or not, with the policy that installs it and its scope
        (``eucora import``): the package list, the policy list and each policy once."""
        packages = await self.list_packages()
        listed = await self._policy_list()
        policies = await self._gather(
            self._read_policy(str(p["id"]), str(p.get("name", "")), "", False) for p in listed
        )
        installs: dict[str, Policy] = {}
        for policy in sorted(policies, key=lambda p: int(p.id) if p.id.isdigit() else 0):
            for package_id, action in policy.packages:
                if action.lower() != "uninstall":
                    installs.setdefault(package_id, policy)
        objects = []
        for package in packages:
            found = BUNDLE.search(str(package.get("notes") or ""))
            bundle = {"id": found["id"], "version": found["version"] or ""} if found else {}
            objects.append(
                package_object(self.provider, package, installs.get(str(package["id"])), bundle)
            )
        return tuple(objects)

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
            for package in await self.list_packages(rsql_equals("packageName", name)):
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

    async def adopt_app(self, app_id: str, app: DesiredApp, related: Mapping[str, str]) -> None:
        """Take over a package made outside EUCORA: its fields and the marker, and the
        install policy ``related["policy"]`` names (renamed so EUCORA knows it as the
        intent's, then written like any install policy; scope is set_assignments')."""
        package = await self.package(app_id)
        marker = parse_marker(package.get("notes"))
        if marker is not None and marker.intent != app.intent:
            raise ConflictError(
                f"jamf package {app_id} is managed for intent {marker.intent}; "
                f"{app.intent} cannot adopt it",
                service=self.jamf.service,
            )
        await self.jamf.request("PUT", f"{PACKAGES}/{app_id}", json=self.package_payload(app))
        self._intents[app_id] = app.intent
        policy_id = related.get("policy")
        if policy_id and not await self._policies_of(app.intent):
            name = policy_name(app.display_name, app.intent)
            root = ET.Element("policy")
            ET.SubElement(ET.SubElement(root, "general"), "name").text = name
            await self.jamf.request(
                "PUT", f"{POLICIES}/id/{policy_id}", content=to_xml(root), headers=XML
            )
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
        install, uninstall = split_assignments(assignments)
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
                "PUT", f"{POLICIES}/id/{current}", content=to_xml(wanted.scope_xml()), headers=XML
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
        root = policy_xml(
            package_id, app.display_name, app.intent, app, uninstall, self.policy_category
        )
        root.remove(child(root, "scope"))  # scope belongs to set_assignments
        await self.jamf.request(
            "PUT", f"{POLICIES}/id/{current}", content=to_xml(root), headers=XML
        )
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
        root = policy_xml(package_id, display_name, intent, app, uninstall, self.policy_category)

        async def existing() -> str | None:
            return next(
                (pid for pid, _n, _i, u in await self._policies_of(intent) if u == uninstall),
                None,
            )

        try:
            return await self.jamf.create(
                f"{POLICIES}/id/0",
                content=to_xml(root),
                headers=XML,
                find=existing,
                parse=created_id,
            )
        except ConflictError:
            # "Duplicate name": made meanwhile by another pass; use it
            found = await existing()
            if found is None:
                raise
            log.info("jamf.policy_reused", policy=name)
            return found

    async def _delete_policy(self, policy_id: str) -> None:
        try:
            await self.jamf.request("DELETE", f"{POLICIES}/id/{policy_id}", headers=XML)
        except NotFoundError:
            return
