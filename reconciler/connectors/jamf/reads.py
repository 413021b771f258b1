"""Jamf Pro reads: packages, EUCORA's policies, inventory and install evidence.

Sits in the observe step of the ``jamf`` provider: the read half of
:class:`~reconciler.connectors.jamf.connector.JamfConnector`, which inherits it. Jamf Pro
has no rate limiter: at most ``concurrency`` (5) requests are in flight (:meth:`_gather`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from reconciler.connectors.core.http import ServiceClient
from reconciler.connectors.jamf.inventory import (
    as_count,
    computer_record,
    device_install,
    evidence,
    in_scope,
    key_time,
    log_time,
    policy_log_entries,
)
from reconciler.connectors.jamf.policies import POLICIES, POLICY_NAME, Policy, read_policy
from reconciler.connectors.jamf.wire import JSON, pairs
from reconciler.domain.errors import NotFoundError
from reconciler.domain.tenant import DeviceInstall, InstallCounts

PACKAGES = "/api/v1/packages"
#: v1 is deprecated since 2025-06-30; v3 replaces it (a v4 is announced for 2027)
INVENTORY = "/api/v3/computers-inventory"
HISTORY = "/JSSResource/computerhistory/id/{id}/subset/PolicyLogs"
INVENTORY_SECTIONS = ("GENERAL", "APPLICATIONS", "PACKAGE_RECEIPTS", "GROUP_MEMBERSHIPS")
T = TypeVar("T")
Install = tuple[dict[str, InstallCounts], dict[str, tuple[DeviceInstall, ...]]]


class JamfReads:
    """What the Jamf connector reads; the state it needs is set by its ``__init__``."""

    jamf: ServiceClient
    page_size: int
    inventory_page_size: int
    read_policy_logs: bool
    _limit: asyncio.Semaphore
    _installed_at: dict[tuple[str, str], datetime | None]

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
            query = [*pairs(params), ("page", page)]
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
            match = POLICY_NAME.search(str(item.get("name", "")).strip())
            if match and (intent is None or match["intent"] == intent):
                found.append(
                    (str(item["id"]), str(item["name"]), match["intent"], bool(match["uninstall"]))
                )
        return found

    async def _managed_policies(self) -> list[Policy]:
        named = await self._policies_of()
        return list(
            await self._gather(
                self._read_policy(pid, name, intent, uninstall)
                for pid, name, intent, uninstall in named
            )
        )

    async def _read_policy(self, pid: str, name: str, intent: str, uninstall: bool) -> Policy:
        try:
            body = (await self.jamf.request("GET", f"{POLICIES}/id/{pid}", headers=JSON)).json()
        except NotFoundError:  # deleted between the list and the read
            return Policy(pid, name, intent, uninstall, packages=())
        return read_policy(pid, name, intent, uninstall, body)

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
        linked: dict[str, list[Policy]],
        by_package: dict[str, dict[str, Any]],
    ) -> dict[str, tuple[dict[str, InstallCounts], dict[str, tuple[DeviceInstall, ...]]]]:
        """Per package and ring group: installed / failed / pending among computers in scope
        of its install policy, and each of those computers (and those in scope of its
        uninstall policy) as a :class:`DeviceInstall`."""
        wanted = set(ring_groups)
        computers = [
            c for c in (computer_record(r) for r in await self.inventory()) if c.groups & wanted
        ]
        # (package id, policy, computers in scope, evidence test)
        targets = []
        for package_id in (str(p["id"]) for p in managed):
            for policy in linked.get(package_id, []):
                scoped = [c for c in computers if in_scope(policy, c)]
                targets.append((package_id, policy, scoped, evidence(by_package[package_id])))
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
                device = device_install(computer, present(computer), status, ran_at, policy)
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
                        per_group[group] = per_group.get(group, InstallCounts()) + as_count(
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
        entries = policy_log_entries(response)
        latest: dict[str, tuple[tuple[int, float | str], str]] = {}
        for position, entry in enumerate(entries):
            policy_id = str(entry.get("policy_id", "")).strip()
            if not policy_id:
                continue
            key = log_time(entry, position, len(entries))
            if policy_id not in latest or key > latest[policy_id][0]:
                latest[policy_id] = (key, str(entry.get("status", "")).strip().lower())
        return {pid: (status, key_time(key)) for pid, (key, status) in latest.items()}

    async def _gather(self, calls: Iterable[Awaitable[T]]) -> list[T]:
        async def limited(call: Awaitable[T]) -> T:
            async with self._limit:
                return await call

        return list(await asyncio.gather(*(limited(c) for c in calls)))
