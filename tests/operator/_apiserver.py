"""kmock's KubernetesEmulator with what a real API server adds to objects.

kmock 0.8 stores objects as sent: no ``resourceVersion`` on create and none bumped on
patch, so kopf's optimistic patches (a JSON-patch ``test`` on the version) fail for objects
the operator creates, and a failed ``test`` answers 500 where the API server answers 422
(which kopf takes as "newer changes pending, try on the next cycle"). Like the API server,
this names objects sent with ``generateName`` (Events), stamps ``uid``,
``resourceVersion``, ``generation`` and ``creationTimestamp`` on create, bumps the version
(and, for spec changes, the generation) on every patch, and answers a failed ``test``
with 422.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

import aiohttp.web
import jsonpatch
import kmock


class ApiServer(kmock.KubernetesEmulator):
    _versions = itertools.count(1000)

    async def _handle(self, request: Any) -> Any:
        data, action = request.data, request.action
        if request.resource is not None and action is not None:
            version = str(next(self._versions))
            if action.value == "CREATE" and isinstance(data, dict):
                meta = data.setdefault("metadata", {})
                if not meta.get("name") and meta.get("generateName"):
                    meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
                meta.setdefault("uid", str(uuid.uuid4()))
                meta.setdefault("generation", 1)
                meta.setdefault("creationTimestamp", _now())
                meta["resourceVersion"] = version
            elif action.value == "UPDATE" and isinstance(data, dict):
                meta = data.setdefault("metadata", {})
                meta["resourceVersion"] = version
                if "spec" in data and request.subresource is None:
                    meta["generation"] = self._generation(request) + 1
            elif action.value == "UPDATE" and isinstance(data, list):
                data.append(
                    {"op": "replace", "path": "/metadata/resourceVersion", "value": version}
                )
        try:
            return await super()._handle(request)
        except jsonpatch.JsonPatchTestFailed as exc:
            status = {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                      "reason": "Invalid", "code": 422, "message": str(exc)}  # fmt: skip
            return aiohttp.web.json_response(status, status=422)

    def _generation(self, request: Any) -> int:
        key = (request.resource, request.namespace, request.name)
        try:
            current = self._objects[key]
            return int(current.get("metadata", {}).get("generation") or 1)
        except (KeyError, ValueError, TypeError):
            return 1


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
