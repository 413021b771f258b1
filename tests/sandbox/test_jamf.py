"""Jamf Pro and Classic API wire format over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from reconciler.sandbox import Sandbox
from tests.sandbox.conftest import jamf_token

PACKAGE = {
    "packageName": "7-Zip 24.08",
    "fileName": "7zip-24.08.pkg",
    "categoryId": "-1",
    "priority": 10,
    "fillUserTemplate": False,
    "rebootRequired": False,
    "osInstall": False,
    "suppressUpdates": False,
    "suppressFromDock": False,
    "suppressEula": False,
    "suppressRegistration": False,
    "notes": "eucora:managed intent=7zip-24.08 digest=sha256:" + "b" * 64,
}


async def test_both_oauth_paths_and_basic_token(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient() as client:
        for path in ("/api/oauth/token", "/api/v1/oauth/token"):
            assert await jamf_token(client, sandbox, path)
        basic = await client.post(
            sandbox.jamf_url + "/api/v1/auth/token",
            auth=(sandbox.jamf_username, sandbox.jamf_password),
        )
        assert basic.status_code == 200
        token = basic.json()["token"]
        assert basic.json()["expires"]
        kept = await client.post(
            sandbox.jamf_url + "/api/v1/auth/keep-alive",
            headers={"Authorization": f"Bearer {token}"},
        )
        new = kept.json()["token"]
        gone = await client.post(
            sandbox.jamf_url + "/api/v1/auth/invalidate-token",
            headers={"Authorization": f"Bearer {new}"},
        )
        assert gone.status_code == 204
        after = await client.get(
            sandbox.jamf_url + "/api/v1/packages", headers={"Authorization": f"Bearer {new}"}
        )
        assert after.status_code == 401
        assert after.json()["httpStatus"] == 401
        wrong = await client.post(sandbox.jamf_url + "/api/v1/auth/token", auth=("x", "y"))
        assert wrong.status_code == 401


async def test_package_crud_duplicate_and_upload(jamf: httpx.AsyncClient) -> None:
    created = await jamf.post("/api/v1/packages", json=PACKAGE)
    assert created.status_code == 201
    pid = created.json()["id"]
    assert created.json()["href"].endswith(f"/api/v1/packages/{pid}")
    duplicate = await jamf.post("/api/v1/packages", json=PACKAGE)
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"][0]["code"] == "DUPLICATE_FIELD"
    assert duplicate.json()["errors"][0]["field"] == "packageName"
    missing = await jamf.post(
        "/api/v1/packages",
        json={k: v for k, v in PACKAGE.items() if k != "rebootRequired"} | {"packageName": "x"},
    )
    assert missing.json()["errors"][0]["field"] == "rebootRequired"
    wrong_name = await jamf.post(
        f"/api/v1/packages/{pid}/upload", files={"file": ("other.pkg", b"data")}
    )
    assert wrong_name.status_code == 400
    assert wrong_name.json()["errors"][0]["code"] == "INVALID_FILE_NAME"
    uploaded = await jamf.post(
        f"/api/v1/packages/{pid}/upload", files={"file": ("7zip-24.08.pkg", b"data")}
    )
    assert uploaded.status_code == 201
    # Jamf Cloud: size and hashes appear after the distribution point inventory refresh
    assert (await jamf.get(f"/api/v1/packages/{pid}")).json()["size"] is None
    refresh = await jamf.post("/api/v1/cloud-distribution-point/refresh-inventory")
    assert refresh.status_code == 204
    package = (await jamf.get(f"/api/v1/packages/{pid}")).json()
    assert package["size"] == "4"
    assert package["hashType"] == "SHA_512" and len(package["hashValue"]) == 128
    # a metadata PUT blanks the size until the next refresh; a size the client sends is
    # not stored
    updated = await jamf.put(
        f"/api/v1/packages/{pid}", json=PACKAGE | {"priority": 3, "size": "999"}
    )
    assert updated.json()["priority"] == 3
    after_put = (await jamf.get(f"/api/v1/packages/{pid}")).json()
    assert after_put["size"] is None
    assert after_put["hashValue"] == package["hashValue"]
    await jamf.post("/api/v1/cloud-distribution-point/refresh-inventory")
    assert (await jamf.get(f"/api/v1/packages/{pid}")).json()["size"] == "4"
    assert (await jamf.delete(f"/api/v1/packages/{pid}")).status_code == 204
    assert (await jamf.get(f"/api/v1/packages/{pid}")).status_code == 404


async def test_package_rsql_sort_and_paging(jamf: httpx.AsyncClient) -> None:
    for n in range(7):
        await jamf.post(
            "/api/v1/packages",
            json=PACKAGE | {"packageName": f"pkg-{n}.pkg", "fileName": f"pkg-{n}.pkg"},
        )
    pages = []
    page = 0
    while True:
        body = (
            await jamf.get(
                "/api/v1/packages", params={"page": page, "page-size": 3, "sort": "id:desc"}
            )
        ).json()
        assert body["totalCount"] == 7
        if not body["results"]:
            break
        pages.append([p["id"] for p in body["results"]])
        page += 1
    assert len(pages) == 3
    assert pages[0] == ["7", "6", "5"]
    cases = {
        'packageName=="pkg-3.pkg"': {"pkg-3.pkg"},
        "packageName=in=(pkg-1.pkg,pkg-2.pkg)": {"pkg-1.pkg", "pkg-2.pkg"},
        'packageName!="pkg-0.pkg";id<=3': {"pkg-1.pkg", "pkg-2.pkg"},
        'packageName=="pkg-0.pkg",packageName=="pkg-6.pkg"': {"pkg-0.pkg", "pkg-6.pkg"},
    }
    for expression, expected in cases.items():
        found = (
            await jamf.get("/api/v1/packages", params={"filter": expression, "page-size": 100})
        ).json()
        assert {p["packageName"] for p in found["results"]} == expected, expression
    bad = await jamf.get("/api/v1/packages", params={"page-size": 5000})
    assert bad.status_code == 400
    assert (
        await jamf.get("/api/v1/packages", params={"filter": "packageName=="})
    ).status_code == 400


@pytest.mark.parametrize("sections", [["GENERAL", "APPLICATIONS"], ["GENERAL,APPLICATIONS"]])
async def test_inventory_sections_and_paging(jamf: httpx.AsyncClient, sections: list[str]) -> None:
    params: list[tuple[str, str | int]] = [("section", s) for s in sections] + [
        ("page-size", 50),
        ("page", 2),
    ]
    body = (await jamf.get("/api/v3/computers-inventory", params=params)).json()
    assert body["totalCount"] == 112
    assert len(body["results"]) == 12
    record = body["results"][0]
    assert record["general"]["name"].startswith("MAC-")
    assert record["applications"] == []
    assert record["hardware"] is None
    filtered = (
        await jamf.get(
            "/api/v3/computers-inventory", params={"filter": 'general.name=="MAC-LAB-*"'}
        )
    ).json()
    assert filtered["totalCount"] == sum(1 for r in filtered["results"]) > 0


async def test_classic_groups_policies_and_history(
    sandbox: Sandbox, jamf: httpx.AsyncClient
) -> None:
    xml = (
        "<computer_group><name>Ring "
        "test</name><is_smart>false</is_smart><computers><computer><id>1</id></computer></computers></computer_group>"
    )
    created = await jamf.post(
        "/JSSResource/computergroups/id/0", content=xml, headers={"Content-Type": "text/xml"}
    )
    assert created.status_code == 201
    gid = created.text.split("<id>")[1].split("</id>")[0]
    addition = (
        "<computer_group><computer_additions><computer><id>2</id></computer>"
        "</computer_additions><computer_deletions><computer><id>1</id></computer>"
        "</computer_deletions></computer_group>"
    )
    assert (
        await jamf.put(f"/JSSResource/computergroups/id/{gid}", content=addition)
    ).status_code == 201
    group = (
        await jamf.get(
            f"/JSSResource/computergroups/id/{gid}", headers={"Accept": "application/json"}
        )
    ).json()
    assert [c["id"] for c in group["computer_group"]["computers"]] == [2]
    unknown = await jamf.put(
        f"/JSSResource/computergroups/id/{gid}",
        content="<computer_group><computer_additions><computer><id>99999</id></computer></computer_additions></computer_group>",
    )
    assert unknown.status_code == 409
    assert "<p>Error:" in unknown.text
    duplicate = await jamf.post("/JSSResource/computergroups/id/0", content=xml)
    assert duplicate.status_code == 409
    static = (await jamf.get("/api/v2/computer-groups/static-groups")).json()
    assert any(g["name"] == "Ring test" for g in static["results"])

    pkg = (await jamf.post("/api/v1/packages", json=PACKAGE)).json()["id"]
    policy = (
        "<policy><general><name>Install 7-Zip</name><enabled>true</enabled>"
        "<frequency>Once per computer</frequency><trigger_checkin>true</trigger_checkin>"
        "<category><name>eucora</name></category></general>"
        "<scope><all_computers>false</all_computers><computer_groups>"
        "<computer_group><id>101</id></computer_group></computer_groups></scope>"
        "<package_configuration><packages><size>1</size>"
        f"<package><id>{pkg}</id><action>Install</action></package>"
        "</packages></package_configuration>"
        "<maintenance><recon>true</recon></maintenance></policy>"
    )
    made = await jamf.post(
        "/JSSResource/policies/id/0", content=policy, headers={"Content-Type": "application/xml"}
    )
    assert made.status_code == 201
    assert made.text.endswith("<policy><id>1</id></policy>")
    as_json = (
        await jamf.get("/JSSResource/policies/id/1", headers={"Accept": "application/json"})
    ).json()["policy"]
    assert as_json["general"]["enabled"] is True
    assert as_json["scope"]["computer_groups"][0]["id"] == 101
    assert as_json["package_configuration"]["packages"][0]["action"] == "Install"
    as_xml = await jamf.get("/JSSResource/policies/id/1")
    assert as_xml.text.startswith("<?xml") and "<name>Install 7-Zip</name>" in as_xml.text
    listing = (
        await jamf.get("/JSSResource/policies", headers={"Accept": "application/json"})
    ).json()
    assert listing == {"policies": [{"id": 1, "name": "Install 7-Zip"}]}
    sandbox.advance(hours=24)
    lab_mac = next(d for d in sandbox.jamf.computers.values() if d.ring == "lab")
    history = (
        await jamf.get(
            f"/JSSResource/computerhistory/id/{lab_mac.jamf_id}/subset/PolicyLogs",
            headers={"Accept": "application/json"},
        )
    ).json()
    logs = history["computer_history"]["policy_logs"]
    assert logs and logs[0]["policy_id"] == 1 and logs[0]["status"] in {"Completed", "Failed"}
    disabled = await jamf.put(
        "/JSSResource/policies/id/1",
        content="<policy><general><enabled>false</enabled></general></policy>",
    )
    assert disabled.status_code == 201
    assert (
        await jamf.get("/JSSResource/policies/id/1", headers={"Accept": "application/json"})
    ).json()["policy"]["general"]["enabled"] is False
    assert (await jamf.delete("/JSSResource/policies/id/1")).status_code == 200
    assert (await jamf.get("/JSSResource/policies/id/1")).status_code == 404
