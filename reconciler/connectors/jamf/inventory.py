"""Install evidence from Jamf Pro inventory and policy logs.

Sits in the observe step of the ``jamf`` provider. A computer in scope of an install
policy counts as installed when ``computers-inventory`` shows the app (bundle id and
version, from the package's notes) or the package's receipt; else its latest policy log
entry (``Completed`` / ``Failed``) says how the install went.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from reconciler.connectors.jamf.policies import Policy
from reconciler.connectors.jamf.wire import entries
from reconciler.domain.tenant import DeviceInstall, InstallCounts

#: filled in by Jamf Pro from the uploaded file (at a cloud distribution point inventory
#: refresh), never by the client: evidence that content is in. ``size`` alone is not —
#: a metadata PUT blanks it until the next refresh.
CONTENT_EVIDENCE = ("hashValue", "md5", "size")
BUNDLE = re.compile(r"\bbundleId=(?P<id>\S+)(?:\s+bundleVersion=(?P<version>\S+))?")


@dataclass
class Computer:
    id: str
    groups: set[str] = field(default_factory=set)
    applications: list[dict[str, Any]] = field(default_factory=list)
    receipts: set[str] = field(default_factory=set)
    #: ``general.lastContactTime``, else ``general.reportDate``
    last_contact: datetime | None = None
    report_date: datetime | None = None


def content_ready(package: dict[str, Any]) -> bool:
    return any(str(package.get(k) or "") not in {"", "0", "None"} for k in CONTENT_EVIDENCE)


def computer_record(record: dict[str, Any]) -> Computer:
    receipts = (record.get("packageReceipts") or {}).get("installedByJamfPro") or []
    general = record.get("general") or {}
    reported = _aware(str(general.get("reportDate") or ""))
    return Computer(
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


def key_time(key: tuple[int, float | str]) -> datetime | None:
    """The time of a :func:`log_time` key, when the entry had one."""
    rank, value = key
    return datetime.fromtimestamp(float(value) / 1000, UTC) if rank == 2 else None


def device_install(
    computer: Computer, present: bool, status: str, ran_at: datetime | None, policy: Policy
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


def as_count(state: str) -> InstallCounts:
    if state == "installed":
        return InstallCounts(installed=1)
    if state == "failed":
        return InstallCounts(failed=1)
    return InstallCounts(pending=1)


def in_scope(policy: Policy, computer: Computer) -> bool:
    if computer.groups & set(policy.excluded):
        return False
    return (
        policy.all_computers
        or bool(computer.groups & set(policy.groups))
        or computer.id in policy.computers
    )


def evidence(package: dict[str, Any]) -> Callable[[Computer], bool]:
    """Whether inventory shows the package's app: bundle id (and version), or its receipt."""
    bundle = BUNDLE.search(str(package.get("notes") or ""))
    file_name = str(package.get("fileName") or "")

    def present(computer: Computer) -> bool:
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


def policy_log_entries(response: httpx.Response) -> list[dict[str, Any]]:
    """Policy log entries from a JSON or XML computer history answer."""
    if "json" in response.headers.get("Content-Type", ""):
        body = response.json()
        history = body.get("computer_history") or body
        return list(entries(history.get("policy_logs"), "policy_log"))
    try:
        root = ET.fromstring(response.text)  # noqa: S314 - expat refuses entity expansion bombs
    except ET.ParseError:
        return []
    return [{child.tag: (child.text or "") for child in node} for node in root.iter("policy_log")]


def log_time(entry: dict[str, Any], position: int, count: int) -> tuple[int, float | str]:
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
