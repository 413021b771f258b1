"""The sandbox speaks Graph's wire format, checked over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from reconciler.sandbox import Sandbox

WIN32: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.win32LobApp",
    "displayName": "7-Zip 24.08",
    "publisher": "Igor Pavlov",
    "notes": "eucora:managed intent=7zip-24.08 digest=sha256:" + "a" * 64,
    "fileName": "7z2408-x64.intunewin",
    "setupFilePath": "7z2408-x64.msi",
    "installCommandLine": 'msiexec /i "7z2408-x64.msi" /qn',
    "uninstallCommandLine": "msiexec /x {23170F69-40C1-2702-2408-000001000000} /qn",
    "rules": [
        {
            "@odata.type": "#microsoft.graph.win32LobAppProductCodeRule",
            "ruleType": "detection",
            "productCode": "{23170F69-40C1-2702-2408-000001000000}",
        }
    ],
}
GROUP = "3f8a1c2e-5b7d-4e21-9a0c-1d2e3f4a5b01"


@pytest.fixture
async def graph() -> AsyncIterator[tuple[Sandbox, httpx.AsyncClient]]:
    async with Sandbox() as sandbox, httpx.AsyncClient(base_url=sandbox.graph_url) as client:
        form = {
            "grant_type": "client_credentials",
            "client_id": sandbox.graph.client_id,
            "client_secret": sandbox.graph.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        }
        token = (await client.post(sandbox.token_url, data=form)).json()
        assert token["token_type"] == "Bearer" and token["expires_in"] == 3599
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        yield sandbox, client


async def test_token_endpoint_rejects_a_bad_secret() -> None:
    async with Sandbox() as sandbox, httpx.AsyncClient() as client:
        form = {
            "grant_type": "client_credentials",
            "client_id": sandbox.graph.client_id,
            "client_secret": "x",
        }
        response = await client.post(sandbox.token_url, data=form)
        assert response.status_code == 401 and response.json()["error"] == "invalid_client"
        unauthenticated = await client.get(f"{sandbox.graph_url}/deviceAppManagement/mobileApps")
        assert unauthenticated.status_code == 401
        assert unauthenticated.json()["error"]["code"] == "InvalidAuthenticationToken"


async def test_create_get_patch_delete(graph: tuple[Sandbox, httpx.AsyncClient]) -> None:
    _, client = graph
    created = await client.post(
        "/deviceAppManagement/mobileApps", json=WIN32, headers={"client-request-id": "abc"}
    )
    assert created.status_code == 201 and created.headers["client-request-id"] == "abc"
    assert created.headers["request-id"]
    app = created.json()
    assert app["publishingState"] == "notPublished" and len(app["id"]) == 36
    path = f"/deviceAppManagement/mobileApps/{app['id']}"
    patched = await client.patch(
        path, json={"@odata.type": WIN32["@odata.type"], "installCommandLine": "x"}
    )
    assert patched.status_code == 204
    assert (await client.get(path)).json()["installCommandLine"] == "x"
    assert (await client.delete(path)).status_code == 204
    missing = await client.get(path)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceNotFound"


async def test_validation_errors_are_graph_shaped(graph: tuple[Sandbox, httpx.AsyncClient]) -> None:
    _, client = graph
    response = await client.post(
        "/deviceAppManagement/mobileApps", json={**WIN32, "installCommandLine": ""}
    )
    error = response.json()["error"]
    assert response.status_code == 400 and error["code"] == "BadRequest"
    assert "installCommandLine" in error["message"] and error["message"].startswith("{")
    assert set(error["innerError"]) >= {"date", "request-id"}


async def test_paging_follows_next_links_over_three_pages(
    graph: tuple[Sandbox, httpx.AsyncClient],
) -> None:
    _, client = graph
    for i in range(7):
        await client.post(
            "/deviceAppManagement/mobileApps", json={**WIN32, "displayName": f"app {i}"}
        )
    await client.post(
        "/deviceAppManagement/mobileApps",
        json={
            "@odata.type": "#microsoft.graph.macOSLobApp",
            "displayName": "mac",
            "publisher": "p",
        },
    )
    url: str | None = (
        "/deviceAppManagement/mobileApps?$filter=isof('microsoft.graph.win32LobApp')&$top=3"
    )
    names, pages = [], 0
    while url:
        body = (await client.get(url)).json()
        names += [a["displayName"] for a in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
    assert pages == 3 and sorted(names) == [f"app {i}" for i in range(7)]


async def test_assign_replaces_the_whole_list_and_needs_a_published_app(
    graph: tuple[Sandbox, httpx.AsyncClient],
) -> None:
    _, client = graph
    app = (await client.post("/deviceAppManagement/mobileApps", json=WIN32)).json()
    base = f"/deviceAppManagement/mobileApps/{app['id']}"
    assignment = {
        "@odata.type": "#microsoft.graph.mobileAppAssignment",
        "intent": "required",
        "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": GROUP},
        "settings": None,
    }
    refused = await client.post(base + "/assign", json={"mobileAppAssignments": [assignment]})
    assert refused.status_code == 400
    await _upload(client, base, b"x" * 3000)
    assert (
        await client.post(base + "/assign", json={"mobileAppAssignments": [assignment]})
    ).status_code == 204
    everyone = {
        **assignment,
        "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"},
    }
    assert (
        await client.post(base + "/assign", json={"mobileAppAssignments": [everyone]})
    ).status_code == 204
    listed = (await client.get(base + "/assignments")).json()["value"]
    assert [a["target"]["@odata.type"] for a in listed] == [
        "#microsoft.graph.allDevicesAssignmentTarget"
    ]
    bad = await client.post(
        base + "/assign", json={"mobileAppAssignments": [{**assignment, "intent": "sometimes"}]}
    )
    assert bad.status_code == 400


async def _upload(client: httpx.AsyncClient, base: str, payload: bytes) -> None:
    content = f"{base}/microsoft.graph.win32LobApp/contentVersions"
    version = (await client.post(content, json={})).json()["id"]
    file = (
        await client.post(
            f"{content}/{version}/files",
            json={
                "name": "IntunePackage.intunewin",
                "size": len(payload),
                "sizeEncrypted": len(payload),
                "manifest": None,
                "isDependency": False,
            },
        )
    ).json()
    assert (
        file["uploadState"] == "azureStorageUriRequestPending" and file["azureStorageUri"] is None
    )
    file_url = f"{content}/{version}/files/{file['id']}"
    polled = (await client.get(file_url)).json()
    polled = (await client.get(file_url)).json()
    assert polled["uploadState"] == "azureStorageUriRequestSuccess"
    sas = polled["azureStorageUri"]
    ids = []
    for n, start in enumerate(range(0, len(payload), 1024)):
        block = base64.b64encode(f"block-{n:04d}".encode()).decode()
        ids.append(block)
        put = await client.put(
            f"{sas}&comp=block&blockid={block}",
            content=payload[start : start + 1024],
            headers={"x-ms-blob-type": "BlockBlob"},
        )
        assert put.status_code == 201
    xml = (
        "<?xml version='1.0' encoding='utf-8'?><BlockList>"
        + "".join(f"<Latest>{i}</Latest>" for i in ids)
        + "</BlockList>"
    )
    assert (await client.put(f"{sas}&comp=blocklist", content=xml)).status_code == 201
    info = dict.fromkeys(
        ("encryptionKey", "macKey", "initializationVector", "mac", "fileDigest"), "AAAA"
    )
    info |= {"profileIdentifier": "ProfileVersion1", "fileDigestAlgorithm": "SHA256"}
    assert (
        await client.post(f"{file_url}/commit", json={"fileEncryptionInfo": info})
    ).status_code == 204
    assert (await client.get(file_url)).json()["uploadState"] == "commitFilePending"
    assert (await client.get(file_url)).json()["uploadState"] == "commitFileSuccess"
    committed = await client.patch(
        base,
        json={"@odata.type": "#microsoft.graph.win32LobApp", "committedContentVersion": version},
    )
    assert committed.status_code == 204
    assert (await client.get(base)).json()["publishingState"] == "published"


async def test_batch_mixed_results_any_order_and_failed_dependency(
    graph: tuple[Sandbox, httpx.AsyncClient],
) -> None:
    _, client = graph
    app = (await client.post("/deviceAppManagement/mobileApps", json=WIN32)).json()
    requests = [
        {
            "id": "1",
            "method": "GET",
            "url": f"/deviceAppManagement/mobileApps/{app['id']}/assignments",
        },
        {
            "id": "2",
            "method": "GET",
            "url": "/deviceAppManagement/mobileApps/00000000-0000-0000-0000-000000000000",
        },
        {
            "id": "3",
            "method": "GET",
            "url": f"/deviceAppManagement/mobileApps/{app['id']}",
            "dependsOn": ["2"],
        },
    ]
    response = await client.post("/$batch", json={"requests": requests})
    assert response.status_code == 200
    by_id = {r["id"]: r for r in response.json()["responses"]}
    assert (by_id["1"]["status"], by_id["2"]["status"], by_id["3"]["status"]) == (200, 404, 424)
    assert by_id["1"]["body"]["value"] == []
    too_many = [
        {"id": str(i), "method": "GET", "url": "/deviceAppManagement/mobileApps"} for i in range(21)
    ]
    assert (await client.post("/$batch", json={"requests": too_many})).status_code == 400
