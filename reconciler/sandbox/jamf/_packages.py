"""Jamf Pro API packages: create (required fields, unique ``packageName``), read, update,
delete, multipart upload (the file name must be the package's ``fileName``) and the
cloud distribution point inventory refresh that computes size and hashes, as on Jamf
Cloud; what a client sends for those fields is not stored.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from reconciler.sandbox._wire import Reply
from reconciler.sandbox.jamf._rsql import pro_page
from reconciler.sandbox.jamf._state import JamfState, bad

PACKAGE_REQUIRED = {
    "packageName": str,
    "fileName": str,
    "categoryId": str,
    "priority": int,
    "fillUserTemplate": bool,
    "rebootRequired": bool,
    "osInstall": bool,
    "suppressUpdates": bool,
    "suppressFromDock": bool,
    "suppressEula": bool,
    "suppressRegistration": bool,
}
PACKAGE_OPTIONAL = {
    "info": None,
    "notes": None,
    "sha256": None,
    "md5": None,
    "size": None,
    "hashType": None,
    "hashValue": None,
    "manifest": None,
    "manifestFileName": None,
    "format": None,
    "installLanguage": None,
    "swu": False,
    "selfHealNotify": False,
    "selfHealingAction": None,
    "osRequirements": "",
    "serialNumber": None,
    "parentPackageId": None,
    "basePath": None,
    "cloudTransferStatus": "NOT_APPLICABLE",
    "ignoreConflicts": False,
    "suppressCloudUpload": False,
    "installIfReportedAvailable": False,
    "osInstallerVersion": None,
    "indexed": False,
    "fillExistingUsers": False,
}
#: computed by Jamf Pro from the uploaded file at a cloud distribution point inventory
#: refresh; what a client sends for them is not stored
SERVER_COMPUTED = ("size", "md5", "hashType", "hashValue")


class PackageHandlers(JamfState):
    def list_packages(self, query: Any) -> Reply:
        items = [copy.deepcopy(p) for p in self.packages.values()]
        return Reply(200, pro_page(items, query, default_sort="id:asc"))

    def create_package(self, body: Any) -> Reply:
        data = self._validated_package(body)
        name = data["packageName"]
        if any(p["packageName"] == name for p in self.packages.values()):
            raise bad(400, "DUPLICATE_FIELD", "packageName", f"packageName {name} already exists")
        pid = self._next_package
        self._next_package += 1
        record = {"id": str(pid)} | dict(PACKAGE_OPTIONAL) | data
        for key in SERVER_COMPUTED:
            record[key] = None
        self.packages[pid] = record
        self.writes += 1
        return Reply(201, {"id": str(pid), "href": f"{self.base_url}/api/v1/packages/{pid}"})

    def _validated_package(self, body: Any, *, current: int | None = None) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad(400, "INVALID_FIELD", None, "Request body must be a JSON object")
        for key, kind in PACKAGE_REQUIRED.items():
            value = body.get(key)
            if value is None or (kind is str and str(value).strip() == ""):
                raise bad(400, "INVALID_FIELD", key, f"{key} is required")
            if kind is bool and not isinstance(value, bool):
                raise bad(400, "INVALID_FIELD", key, f"{key} must be a boolean")
            if kind is int and (isinstance(value, bool) or not str(value).lstrip("-").isdigit()):
                raise bad(400, "INVALID_FIELD", key, f"{key} must be an integer")
        category = str(body["categoryId"])
        if category != "-1" and (not category.isdigit() or int(category) not in self.categories):
            raise bad(
                400, "INVALID_ID", "categoryId", f"Category with id {category} does not exist"
            )
        data = {k: v for k, v in body.items() if k in PACKAGE_REQUIRED or k in PACKAGE_OPTIONAL}
        data["categoryId"] = category
        data["priority"] = int(body["priority"])
        return data

    def _package(self, pid: str) -> dict[str, Any]:
        if not pid.isdigit() or int(pid) not in self.packages:
            raise bad(404, "INVALID_ID", "id", f"Package with id {pid} does not exist")
        return self.packages[int(pid)]

    def get_package(self, pid: str) -> Reply:
        return Reply(200, copy.deepcopy(self._package(pid)))

    def put_package(self, pid: str, body: Any) -> Reply:
        current = self._package(pid)
        data = self._validated_package(body)
        if any(
            p["packageName"] == data["packageName"] and p["id"] != pid
            for p in self.packages.values()
        ):
            raise bad(
                400,
                "DUPLICATE_FIELD",
                "packageName",
                f"packageName {data['packageName']} already exists",
            )
        current.update({k: v for k, v in data.items() if k not in SERVER_COMPUTED})
        # Jamf Cloud: a metadata PUT of an uploaded package blanks its size until the next
        # distribution point inventory refresh
        current["size"] = None
        self.writes += 1
        return Reply(200, copy.deepcopy(current))

    def delete_package(self, pid: str) -> Reply:
        self._package(pid)
        del self.packages[int(pid)]
        self.uploads.pop(int(pid), None)
        self.writes += 1
        return Reply(204)

    def upload_package(self, pid: str, filename: str | None, content: bytes | None) -> Reply:
        package = self._package(pid)
        if content is None or filename is None:
            raise bad(400, "INVALID_FIELD", "file", "Multipart field 'file' is required")
        if filename != package["fileName"]:
            raise bad(
                400,
                "INVALID_FILE_NAME",
                "file",
                f"File name {filename} does not match the package fileName {package['fileName']}",
            )
        self.uploads[int(pid)] = content
        # size and hashes appear only after the cloud distribution point inventory refresh
        package["cloudTransferStatus"] = "IN_PROGRESS"
        self.writes += 1
        return Reply(201, {"id": str(pid), "href": f"{self.base_url}/api/v1/packages/{pid}"})

    def refresh_inventory(self) -> Reply:
        """``POST /api/v1/cloud-distribution-point/refresh-inventory``: Jamf Pro computes
        size and hashes of every uploaded package."""
        for pid, content in self.uploads.items():
            package = self.packages.get(pid)
            if package is None:
                continue
            package["size"] = str(len(content))
            package["md5"] = hashlib.md5(content, usedforsecurity=False).hexdigest()
            package["hashType"] = "SHA_512"
            package["hashValue"] = hashlib.sha512(content).hexdigest()
            package["cloudTransferStatus"] = "READY"
        self.writes += 1
        return Reply(204)

    def classic_packages(self) -> list[dict[str, Any]]:
        return [{"id": pid, "name": p["packageName"]} for pid, p in self.packages.items()]

    def list_categories(self) -> Reply:
        items = [{"id": str(k), "name": v, "priority": 9} for k, v in self.categories.items()]
        return Reply(200, {"totalCount": len(items), "results": items})
