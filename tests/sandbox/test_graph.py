"""Graph wire format over real HTTP: apps, content upload, assignments, groups, devices,
reports, paging and $batch."""

from __future__ import annotations

import httpx
import pytest

from reconciler.sandbox import Sandbox
from tests.sandbox.conftest import CANARY_GROUP, LAB_GROUP, WIN32_APP, publish_app, required

APPS = "/deviceAppManagement/mobileApps"


async def test_token_endpoint_rejects_wrong_secret(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            sandbox.token_url,
            data={
                "client_id": sandbox.client_id,
                "client_secret": "nope",
                "scope": "https://graph.microsoft.com/.default",
                "grant_type": "client_credentials",
            },
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        unauthenticated = await client.get(sandbox.graph_v1_url + APPS)
        assert unauthenticated.status_code == 401
        assert unauthenticated.json()["error"]["code"] == "InvalidAuthenticationToken"


async def test_create_get_patch_delete_app(graph: httpx.AsyncClient) -> None:
    created = await graph.post(
        APPS, json=WIN32_APP, headers={"client-request-id": "c0ffee00-0000-4000-8000-000000000001"}
    )
    assert created.status_code == 201
    assert created.headers["client-request-id"] == "c0ffee00-0000-4000-8000-000000000001"
    assert created.headers["request-id"]
    app = created.json()
    assert app["publishingState"] == "notPublished"
    assert len(app["id"]) == 36
    assert app["returnCodes"][0] == {"returnCode": 0, "type": "success"}
    patched = await graph.patch(
        f"{APPS}/{app['id']}",
        json={
            "@odata.type": "#microsoft.graph.win32LobApp",
            "installCommandLine": "setup.exe /quiet",
        },
    )
    assert patched.status_code == 204
    fetched = (await graph.get(f"{APPS}/{app['id']}")).json()
    assert fetched["installCommandLine"] == "setup.exe /quiet"
    assert (await graph.delete(f"{APPS}/{app['id']}")).status_code == 204
    missing = await graph.get(f"{APPS}/{app['id']}")
    assert missing.status_code == 404
    error = missing.json()["error"]
    assert error["code"] == "ResourceNotFound"
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"installCommandLine": None}, "installCommandLine"),
        ({"displayName": ""}, "displayName"),
        ({"applicableArchitectures": "x64,sparc"}, "sparc"),
        ({"installExperience": {"runAsAccount": "root"}}, "runAsAccountType"),
        ({"returnCodes": [{"returnCode": 0, "type": "great"}]}, "win32LobAppReturnCodeType"),
        ({"@odata.type": "#microsoft.graph.iosLobApp"}, "@odata.type"),
        ({"@odata.type": "#microsoft.graph.macOSPkgApp", "fileName": "a.pkg"}, "resolved"),
        ({"displayVersion": "24.08"}, "'displayVersion' does not exist on type"),
        ({"installExperience": {"maxRunTimeInMinutes": 60}}, "maxRunTimeInMinutes"),
        ({"minimumSupportedWindowsRelease": "21H2"}, "Windows10_21H2"),
        ({"installCommandLine": 7}, "Edm.String"),
    ],
)
async def test_validation_errors_are_graph_shaped(
    graph: httpx.AsyncClient, change: dict[str, object], needle: str
) -> None:
    body = {**WIN32_APP, **change}
    response = await graph.post(APPS, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"
    assert needle in response.json()["error"]["message"]


async def test_filter_isof_and_paging_across_pages(graph: httpx.AsyncClient) -> None:
    for n in range(7):
        assert (
            await graph.post(APPS, json={**WIN32_APP, "displayName": f"App {n}"})
        ).status_code == 201
    mac = {
        "@odata.type": "#microsoft.graph.macOSDmgApp",
        "displayName": "Mac",
        "publisher": "P",
        "fileName": "m.dmg",
        "primaryBundleId": "a.b",
        "primaryBundleVersion": "1",
    }
    assert (await graph.post(APPS, json=mac)).status_code == 201
    url: str | None = f"{APPS}?$filter=isof('microsoft.graph.win32LobApp')&$top=3"
    pages, names = 0, []
    while url:
        page = (await graph.get(url)).json()
        assert "@odata.context" in page
        names += [a["displayName"] for a in page["value"]]
        url = page.get("@odata.nextLink")
        pages += 1
    assert pages == 3
    assert sorted(names) == [f"App {n}" for n in range(7)]
    both = (
        await graph.get(
            APPS,
            params={
                "$filter": (
                    "isof('microsoft.graph.win32LobApp') or isof('microsoft.graph.macOSDmgApp')"
                )
            },
        )
    ).json()
    assert len(both["value"]) == 8


async def test_content_upload_publishes_and_assign_replaces_list(
    sandbox: Sandbox, graph: httpx.AsyncClient
) -> None:
    unpublished = (await graph.post(APPS, json=WIN32_APP)).json()["id"]
    refused = await graph.post(
        f"{APPS}/{unpublished}/assign", json={"mobileAppAssignments": [required(LAB_GROUP)]}
    )
    assert refused.status_code == 400
    app_id = await publish_app(graph)
    app = (await graph.get(f"{APPS}/{app_id}")).json()
    assert app["publishingState"] == "published"
    assert app["committedContentVersion"] == "1"
    first = await graph.post(
        f"{APPS}/{app_id}/assign",
        json={"mobileAppAssignments": [required(LAB_GROUP), required(CANARY_GROUP)]},
    )
    assert first.status_code == 204
    assert len((await graph.get(f"{APPS}/{app_id}/assignments")).json()["value"]) == 2
    await graph.post(
        f"{APPS}/{app_id}/assign", json={"mobileAppAssignments": [required(CANARY_GROUP)]}
    )
    listed = (await graph.get(f"{APPS}/{app_id}/assignments")).json()["value"]
    assert [a["target"]["groupId"] for a in listed] == [CANARY_GROUP]
    bad_intent = await graph.post(
        f"{APPS}/{app_id}/assign", json={"mobileAppAssignments": [required(LAB_GROUP, "sometimes")]}
    )
    assert bad_intent.status_code == 400


async def test_commit_without_block_list_fails(graph: httpx.AsyncClient) -> None:
    app_id = (await graph.post(APPS, json=WIN32_APP)).json()["id"]
    base = f"{APPS}/{app_id}/microsoft.graph.win32LobApp/contentVersions"
    await graph.post(base, json={})
    file = (
        await graph.post(f"{base}/1/files", json={"name": "a", "size": 1, "sizeEncrypted": 1})
    ).json()
    assert file["uploadState"] == "azureStorageUriRequestPending"
    await graph.get(f"{base}/1/files/{file['id']}")
    commit = await graph.post(
        f"{base}/1/files/{file['id']}/commit", json={"fileEncryptionInfo": {}}
    )
    assert commit.status_code == 400
    premature = await graph.patch(f"{APPS}/{app_id}", json={"committedContentVersion": "1"})
    assert premature.status_code == 400


async def test_groups_members_and_managed_devices_paged(
    sandbox: Sandbox, graph: httpx.AsyncClient
) -> None:
    group = await graph.post(
        "/groups",
        json={
            "displayName": "Ring x",
            "mailEnabled": False,
            "mailNickname": "ringx",
            "securityEnabled": True,
            "groupTypes": [],
        },
    )
    assert group.status_code == 201
    device = sandbox.graph.devices[0]
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{device.object_id}"}
    assert (
        await graph.post(f"/groups/{group.json()['id']}/members/$ref", json=ref)
    ).status_code == 204
    again = await graph.post(f"/groups/{group.json()['id']}/members/$ref", json=ref)
    assert again.status_code == 400
    members = (await graph.get(f"/groups/{group.json()['id']}/members")).json()["value"]
    assert members[0]["deviceId"] == device.azure_ad_device_id
    url: str | None = "/deviceManagement/managedDevices?$top=100"
    seen = []
    while url:
        page = (await graph.get(url)).json()
        seen += page["value"]
        url = page.get("@odata.nextLink")
    assert len(seen) == 280
    assert {
        "id",
        "deviceName",
        "operatingSystem",
        "azureADDeviceId",
        "lastSyncDateTime",
        "serialNumber",
    } <= set(seen[0])


async def test_batch_mixed_results_and_failed_dependency(graph: httpx.AsyncClient) -> None:
    app_id = await publish_app(graph)
    requests = [
        {"id": "1", "method": "GET", "url": f"{APPS}/{app_id}/assignments"},
        {"id": "2", "method": "GET", "url": f"{APPS}/00000000-0000-0000-0000-000000000000"},
        {
            "id": "3",
            "method": "POST",
            "url": APPS,
            "body": {"@odata.type": "#microsoft.graph.win32LobApp"},
            "headers": {"Content-Type": "application/json"},
        },
        {"id": "4", "method": "GET", "url": f"{APPS}/{app_id}", "dependsOn": ["3"]},
        {"id": "5", "method": "GET", "url": "/deviceManagement/managedDevices?$top=2"},
    ]
    response = await graph.post("/$batch", json={"requests": requests})
    assert response.status_code == 200
    statuses = {r["id"]: r["status"] for r in response.json()["responses"]}
    assert statuses == {"1": 200, "2": 404, "3": 400, "4": 424, "5": 200}
    too_many = await graph.post(
        "/$batch",
        json={"requests": [{"id": str(i), "method": "GET", "url": APPS} for i in range(21)]},
    )
    assert too_many.status_code == 400


async def test_install_status_report_v1_and_beta(
    sandbox: Sandbox, graph: httpx.AsyncClient
) -> None:
    app_id = await publish_app(graph)
    await graph.post(
        f"{APPS}/{app_id}/assign", json={"mobileAppAssignments": [required(LAB_GROUP)]}
    )
    # a localized column cannot be asked for; it comes back with its base column
    refused = await graph.post(
        "/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport",
        json={"select": ["AppInstallState_loc"], "filter": f"(ApplicationId eq '{app_id}')"},
    )
    assert refused.status_code == 400
    pending = await graph.post(
        "/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport",
        json={"select": ["AppInstallState"], "filter": f"(ApplicationId eq '{app_id}')"},
    )
    assert [c["Column"] for c in pending.json()["Schema"]] == [
        "AppInstallState",
        "AppInstallState_loc",
    ]
    assert {row[1] for row in pending.json()["Values"]} == {"Install pending"}
    sandbox.advance(hours=24)
    body = {
        "select": ["DeviceName", "DeviceId", "AppInstallState", "HexErrorCode"],
        "filter": f"(ApplicationId eq '{app_id}')",
        "skip": 0,
        "top": 2,
        "orderBy": [],
    }
    report = await graph.post(
        "/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport", json=body
    )
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("application/octet-stream")
    data = report.json()
    assert [c["Column"] for c in data["Schema"]] == [
        "DeviceName",
        "DeviceId",
        "AppInstallState",
        "AppInstallState_loc",
        "HexErrorCode",
    ]
    lab = [d for d in sandbox.graph.devices if d.ring == "lab"]
    assert data["TotalRowCount"] == len(lab)
    assert len(data["Values"]) == 2
    async with httpx.AsyncClient(base_url=sandbox.graph_beta_url, headers=graph.headers) as beta:
        rows = (
            await beta.post(
                "/deviceManagement/reports/getDeviceInstallStatusReport", json={**body, "top": 50}
            )
        ).json()
    assert rows["TotalRowCount"] == len(lab)
    assert {r[3] for r in rows["Values"]} <= {"Installed", "Failed"}
    bad = await graph.post(
        "/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport",
        json={"filter": "nothing"},
    )
    assert bad.status_code == 400
