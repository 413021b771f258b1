"""A small async Kubernetes client: the DeploymentIntents a GitSource owns, and the
Secrets it names.

kopf patches the object a handler is running for; creating, updating and deleting *other*
objects, and reading Secrets, needs a client. It uses the pod's service account.
"""

from __future__ import annotations

import base64
import binascii
import ssl
from collections.abc import Mapping
from typing import Any

import httpx

from reconciler.domain.errors import ConfigurationError, SourceError
from reconciler.operator._materialize import GROUP, SOURCE_LABEL, VERSION


class KubeClient:
    def __init__(
        self, server: str, *, token: str | None = None, verify: bool | str | ssl.SSLContext = True
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.AsyncClient(base_url=server, headers=headers, verify=verify, timeout=30)

    def _path(self, namespace: str, name: str = "") -> str:
        base = f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/deploymentintents"
        return f"{base}/{name}" if name else base

    async def owned_by(self, namespace: str, source: str) -> dict[str, dict[str, Any]]:
        response = await self._http.get(
            self._path(namespace), params={"labelSelector": f"{SOURCE_LABEL}={source}"}
        )
        self._check(response)
        items = response.json().get("items", [])
        return {
            item["metadata"]["name"]: item
            for item in items
            if (item["metadata"].get("labels") or {}).get(SOURCE_LABEL) == source
        }

    async def create(self, obj: Mapping[str, Any]) -> None:
        self._check(await self._http.post(self._path(obj["metadata"]["namespace"]), json=obj))

    async def replace_spec(self, obj: Mapping[str, Any]) -> None:
        meta = obj["metadata"]
        response = await self._http.patch(
            self._path(meta["namespace"], meta["name"]),
            json={"metadata": {"annotations": meta["annotations"]}, "spec": obj["spec"]},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        self._check(response)

    async def delete(self, namespace: str, name: str) -> None:
        response = await self._http.delete(self._path(namespace, name))
        if response.status_code != httpx.codes.NOT_FOUND:
            self._check(response)

    async def get_secret(self, namespace: str, name: str) -> dict[str, str]:
        """The Secret's decoded data. Values never appear in errors or logs."""
        response = await self._http.get(f"/api/v1/namespaces/{namespace}/secrets/{name}")
        if response.status_code == httpx.codes.NOT_FOUND:
            raise SourceError(f"Secret {namespace}/{name} not found")
        self._check(response)
        try:
            return {
                key: base64.b64decode(value, validate=True).decode()
                for key, value in (response.json().get("data") or {}).items()
            }
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ConfigurationError(
                f"Secret {namespace}/{name} holds a value that is not base64-encoded text"
            ) from exc

    async def close(self) -> None:
        await self._http.aclose()

    @staticmethod
    def _check(response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise SourceError(
                f"Kubernetes API {response.request.method} {response.request.url.path} "
                f"answered {response.status_code}"
            )
