"""Fixtures: a small sandbox tenant on 127.0.0.1 and httpx clients holding real tokens."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox import Sandbox

FLEET = Path(__file__).resolve().parents[2] / "examples" / "fleet-repo" / "fleet.yaml"
LAB_GROUP = "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01"
CANARY_GROUP = "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b02"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(devices_windows=280, devices_macos=112, seed=11, fleet=FLEET) as sb:
        yield sb


async def graph_token(client: httpx.AsyncClient, sb: Sandbox) -> str:
    response = await client.post(
        sb.token_url,
        data={
            "client_id": sb.client_id,
            "client_secret": sb.client_secret,
            "scope": "https://graph.microsoft.com/.default",
            "grant_type": "client_credentials",
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


async def jamf_token(client: httpx.AsyncClient, sb: Sandbox, path: str = "/api/oauth/token") -> str:
    response = await client.post(
        sb.jamf_url + path,
        data={
            "grant_type": "client_credentials",
            "client_id": sb.jamf_client_id,
            "client_secret": sb.jamf_client_secret,
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.fixture
async def graph(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.graph_v1_url) as client:
        client.headers["Authorization"] = f"Bearer {await graph_token(client, sandbox)}"
        yield client


@pytest.fixture
async def jamf(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.jamf_url) as client:
        client.headers["Authorization"] = f"Bearer {await jamf_token(client, sandbox)}"
        yield client


WIN32_APP = {
    "@odata.type": "#microsoft.graph.win32LobApp",
    "displayName": "7-Zip 24.08",
    "publisher": "Igor Pavlov",
    "notes": "eucora:managed intent=7zip-24.08 digest=sha256:" + "a" * 64,
    "fileName": "7z2408-x64.intunewin",
    "setupFilePath": "7z2408-x64.exe",
    "installCommandLine": "7z2408-x64.exe /S",
    "uninstallCommandLine": '"C:\\Program Files\\7-Zip\\Uninstall.exe" /S',
    "applicableArchitectures": "x64",
    "installExperience": {"runAsAccount": "system", "deviceRestartBehavior": "suppress"},
    "rules": [
        {
            "@odata.type": "#microsoft.graph.win32LobAppProductCodeRule",
            "ruleType": "detection",
            "productCode": "{23170F69-40C1-2702-2408-000001000000}",
        }
    ],
}


async def publish_app(
    graph: httpx.AsyncClient,
    body: dict[str, object] | None = None,
    *,
    encrypted: tuple[bytes, int, dict[str, object]] | None = None,
) -> str:
    """Create an app (a win32LobApp unless ``body`` says otherwise) and run the whole
    content upload flow; returns the app id. ``encrypted`` is (blob, plain size,
    fileEncryptionInfo) for types whose content the client encrypts."""
    blob_bytes, plain_size, info = encrypted or (b"x" * 3000, 2900, {"fileDigest": "x"})
    body = body or WIN32_APP
    odata_type = str(body["@odata.type"])
    created = await graph.post("/deviceAppManagement/mobileApps", json=body)
    assert created.status_code == 201, created.text
    app_id = str(created.json()["id"])
    base = f"/deviceAppManagement/mobileApps/{app_id}/{odata_type[1:]}/contentVersions"
    version = (await graph.post(base, json={})).json()["id"]
    payload = blob_bytes
    file = await graph.post(
        f"{base}/{version}/files",
        json={
            "name": "app.intunewin",
            "size": plain_size,
            "sizeEncrypted": len(payload),
            "manifest": None,
            "isDependency": False,
        },
    )
    assert file.status_code == 201
    file_url = f"{base}/{version}/files/{file.json()['id']}"
    state = file.json()
    while state["uploadState"] != "azureStorageUriRequestSuccess":
        state = (await graph.get(file_url)).json()
    sas = state["azureStorageUri"]
    async with httpx.AsyncClient() as blob:
        ids = []
        for n in range((len(payload) + 999) // 1000):
            block_id = base64.b64encode(f"block-{n:04d}".encode()).decode()
            ids.append(block_id)
            put = await blob.put(
                f"{sas}&comp=block&blockid={block_id}",
                content=payload[n * 1000 : (n + 1) * 1000],
                headers={"x-ms-blob-type": "BlockBlob"},
            )
            assert put.status_code == 201
        xml = (
            "<?xml version='1.0' encoding='utf-8'?><BlockList>"
            + "".join(f"<Latest>{i}</Latest>" for i in ids)
            + "</BlockList>"
        )
        assert (await blob.put(f"{sas}&comp=blocklist", content=xml)).status_code == 201
    commit = await graph.post(f"{file_url}/commit", json={"fileEncryptionInfo": info})
    assert commit.status_code == 204
    while state["uploadState"] != "commitFileSuccess":
        state = (await graph.get(file_url)).json()
        assert state["uploadState"] in {"commitFilePending", "commitFileSuccess"}
    patched = await graph.patch(
        f"/deviceAppManagement/mobileApps/{app_id}",
        json={"@odata.type": odata_type, "committedContentVersion": version},
    )
    assert patched.status_code in (200, 204)
    # publishing finishes a little after the commit
    while (await graph.get(f"/deviceAppManagement/mobileApps/{app_id}")).json()[
        "publishingState"
    ] != "published":
        pass
    return app_id


def required(group_id: str, intent: str = "required") -> dict[str, object]:
    return {
        "@odata.type": "#microsoft.graph.mobileAppAssignment",
        "intent": intent,
        "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id},
        "settings": None,
    }
