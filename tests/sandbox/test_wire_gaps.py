"""Smaller wire details the real services have and the sandbox now has too: Classic
package list, Pro API v2 groups, v3 inventory detail (v1 deprecated), $batch bodies,
Azure Put Block ids, the mobileApps filter real clients send."""

from __future__ import annotations

import base64
import json

import httpx

from reconciler.sandbox import Sandbox
from tests.sandbox.conftest import WIN32_APP, publish_app
from tests.sandbox.test_jamf import PACKAGE

APPS = "/deviceAppManagement/mobileApps"
REPORT = "/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport"


async def test_classic_package_list(jamf: httpx.AsyncClient) -> None:
    pid = (await jamf.post("/api/v1/packages", json=PACKAGE)).json()["id"]
    listed = await jamf.get("/JSSResource/packages", headers={"Accept": "application/json"})
    assert listed.status_code == 200
    assert listed.json() == {"packages": [{"id": int(pid), "name": PACKAGE["packageName"]}]}
    xml = await jamf.get("/JSSResource/packages")
    assert "<packages><size>1</size><package>" in xml.text


async def test_pro_api_v2_static_and_smart_groups(
    sandbox: Sandbox, jamf: httpx.AsyncClient
) -> None:
    static = (await jamf.get("/api/v2/computer-groups/static-groups")).json()
    assert static["totalCount"] == len(sandbox.jamf.groups) > 0
    smart = await jamf.get("/api/v2/computer-groups/smart-groups")
    assert smart.status_code == 200 and smart.json() == {"totalCount": 0, "results": []}


async def test_inventory_v3_detail_and_v1_deprecated(
    sandbox: Sandbox, jamf: httpx.AsyncClient
) -> None:
    cid = next(iter(sandbox.jamf.computers))
    detail = await jamf.get(f"/api/v3/computers-inventory-detail/{cid}")
    assert detail.status_code == 200
    assert detail.json()["general"]["name"].startswith("MAC-")
    assert "plugins" not in detail.json()
    refused = await jamf.get("/api/v3/computers-inventory", params={"section": "PLUGINS"})
    assert refused.status_code == 400
    old = await jamf.get("/api/v1/computers-inventory", params={"section": "PLUGINS"})
    assert old.status_code == 200 and "Deprecation" in old.headers
    missing = await jamf.get("/api/v3/computers-inventory-detail/999999")
    assert missing.status_code == 404


async def test_batch_needs_content_type_for_bodies_and_base64s_non_json(
    sandbox: Sandbox, graph: httpx.AsyncClient
) -> None:
    app_id = await publish_app(graph)
    body = {"select": ["DeviceId"], "filter": f"(ApplicationId eq '{app_id}')"}
    answer = await graph.post(
        "/$batch",
        json={
            "requests": [
                {"id": "1", "method": "POST", "url": REPORT, "body": body},
                {
                    "id": "2",
                    "method": "POST",
                    "url": REPORT,
                    "body": body,
                    "headers": {"Content-Type": "application/json"},
                },
            ]
        },
    )
    responses = {r["id"]: r for r in answer.json()["responses"]}
    assert responses["1"]["status"] == 400
    assert "Content-Type" in responses["1"]["body"]["error"]["message"]
    assert responses["2"]["status"] == 200
    assert responses["2"]["headers"]["Content-Type"] == "application/octet-stream"
    report = json.loads(base64.b64decode(responses["2"]["body"]))
    assert sandbox.counters()["graphBatchInner"] == 2  # each inner request counts
    assert report["Schema"] == [{"Column": "DeviceId", "PropertyType": "String"}]


async def test_put_block_ids_are_base64_of_one_length(graph: httpx.AsyncClient) -> None:
    app_id = (await graph.post(APPS, json=WIN32_APP)).json()["id"]
    versions = f"{APPS}/{app_id}/microsoft.graph.win32LobApp/contentVersions"
    version = (await graph.post(versions, json={})).json()["id"]
    file = (await graph.post(f"{versions}/{version}/files", json={"name": "a", "size": 3})).json()
    file = (await graph.get(f"{versions}/{version}/files/{file['id']}")).json()
    sas = file["azureStorageUri"]
    async with httpx.AsyncClient() as blob:
        not_base64 = await blob.put(f"{sas}&comp=block&blockid=block-1", content=b"x")
        assert not_base64.status_code == 400
        assert "InvalidQueryParameterValue" in not_base64.text
        first = base64.b64encode(b"block-0001").decode()
        assert (
            await blob.put(f"{sas}&comp=block&blockid={first}", content=b"x")
        ).status_code == 201
        longer = base64.b64encode(b"block-00000002").decode()
        unequal = await blob.put(f"{sas}&comp=block&blockid={longer}", content=b"x")
        assert unequal.status_code == 400 and "InvalidBlobOrBlock" in unequal.text


async def test_mobile_apps_filter_as_intunecd_sends_it(graph: httpx.AsyncClient) -> None:
    await graph.post(APPS, json=WIN32_APP)
    flt = (
        "(microsoft.graph.managedApp/appAvailability) eq null or "
        "(microsoft.graph.managedApp/appAvailability) eq 'lineOfBusiness' or isAssigned eq true"
    )
    answer = await graph.get(APPS, params={"$filter": flt})
    assert answer.status_code == 200 and len(answer.json()["value"]) == 1
    none = await graph.get(APPS, params={"$filter": "isAssigned eq true"})
    assert none.json()["value"] == []  # v1.0 declares no isAssigned: it reads as null
