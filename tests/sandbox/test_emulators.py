"""The sandbox as a host of emulators: mobileApp types come from the schema, each
emulator answers faults in its service's shape, and a device checks in to the MDM it is
enrolled in (a ring's Macs can be on Intune instead of Jamf)."""

from __future__ import annotations

import httpx
import pytest

from reconciler.connectors.intune_macos import encrypt
from reconciler.sandbox import Sandbox, _odata
from reconciler.sandbox.graph import APP_TYPES
from tests.sandbox.conftest import FLEET, LAB_GROUP, graph_token, publish_app, required

APPS = "/deviceAppManagement/mobileApps"
MAC_APP = {
    "@odata.type": "#microsoft.graph.macOSLobApp",
    "displayName": "Firefox 133.0",
    "publisher": "Mozilla",
    "notes": "eucora:managed intent=firefox-133 digest=sha256:" + "b" * 64,
    "fileName": "Firefox 133.0.pkg",
    "bundleId": "org.mozilla.firefox",
    "buildNumber": "133.0",
    "versionNumber": "133.0",
    "ignoreVersionDetection": False,
    "minimumSupportedOperatingSystem": {"v11_0": True},
}


def test_every_app_type_is_a_mobile_app_the_schema_declares() -> None:
    versions = ("v1.0", "beta")
    for odata_type in APP_TYPES:
        declared = [v for v in versions if _odata.declares(v, odata_type)]
        assert declared, odata_type
        assert all(_odata.is_subtype(v, odata_type, "mobileLobApp") for v in declared)
    lob_types = {
        "#" + name
        for version in versions
        for name in _odata.schema()["versions"][version]["types"]
        if name != "microsoft.graph.mobileLobApp"
        and _odata.is_subtype(version, name, "mobileLobApp")
    }
    # a LOB type generated into graph_schema.json without Intune's checks would be refused
    assert lob_types == set(APP_TYPES)


async def test_each_emulator_answers_a_fault_in_its_own_shape() -> None:
    async with (
        Sandbox(devices_windows=4, devices_macos=2, seed=1, faults="503@*:1") as sb,
        httpx.AsyncClient(base_url=sb.base_url) as client,
    ):
        graph = await client.get("/v1.0/deviceAppManagement/mobileApps")
        assert graph.json()["error"]["code"] == "ServiceUnavailable"
        assert graph.headers["request-id"] and graph.headers["Content-Type"].startswith(
            "application/json;odata.metadata=minimal"
        )
        pro = await client.get("/api/v1/packages")
        assert pro.json() == {
            "httpStatus": 503,
            "errors": [
                {
                    "code": "SERVICEUNAVAILABLE",
                    "field": None,
                    "description": "The service is temporarily unavailable.",
                    "id": "0",
                }
            ],
        }
        classic = await client.get("/JSSResource/packages")
        assert classic.headers["Content-Type"].startswith("text/html")
        assert "<p>Error: The service is temporarily unavailable.</p>" in classic.text
        blob = await client.put("/blob/some-file?sig=x&comp=block&blockid=AAAA")
        assert blob.headers["x-ms-error-code"] == "ServerBusy"
        assert "<Code>ServerBusy</Code>" in blob.text
        token = await client.post(sb.token_url, data={"grant_type": "client_credentials"})
        assert token.json()["error"]["code"] == "ServiceUnavailable"
        assert "request-id" not in token.headers  # Entra is not Graph
        for response in (graph, pro, classic, blob, token):
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "1"
        admin = await client.get("/_sandbox/clock")  # the admin API is never faulted
        assert admin.status_code == 200


def test_an_unknown_mdm_or_ring_is_refused() -> None:
    with pytest.raises(ValueError, match="kandji"):
        Sandbox(devices_windows=2, devices_macos=2, fleet=FLEET, macos_mdm={"lab": "kandji"})
    with pytest.raises(ValueError, match="moon"):
        Sandbox(devices_windows=2, devices_macos=2, fleet=FLEET, macos_mdm={"moon": "intune"})


async def test_macs_of_a_ring_on_intune_check_in_to_intune_and_install_its_mac_apps() -> None:
    async with (
        Sandbox(
            devices_windows=40,
            devices_macos=40,
            seed=5,
            fleet=FLEET,
            success_rate=1.0,
            macos_mdm={"lab": "intune"},
        ) as sb,
        httpx.AsyncClient(base_url=sb.graph_v1_url) as graph,
    ):
        graph.headers["Authorization"] = f"Bearer {await graph_token(graph, sb)}"
        lab_macs = [d for d in sb.devices if d.ring == "lab" and d.platform == "macos"]
        lab_pcs = [d for d in sb.devices if d.ring == "lab" and d.platform == "windows"]
        other_macs = [d for d in sb.devices if d.ring != "lab" and d.platform == "macos"]
        assert lab_macs and lab_pcs and other_macs
        # enrolled in Intune: in Entra and Intune, not in Jamf
        assert all(d.jamf_id not in sb.jamf.computers for d in lab_macs)
        assert all(d.jamf_id in sb.jamf.computers for d in other_macs)
        members = set(sb.graph.groups[LAB_GROUP].members)
        assert members == {d.object_id for d in lab_macs + lab_pcs}
        managed = (await graph.get("/deviceManagement/managedDevices?$top=999")).json()["value"]
        systems = {m["deviceName"]: m["operatingSystem"] for m in managed}
        assert {systems[d.name] for d in lab_macs} == {"macOS"}
        assert {systems[d.name] for d in lab_pcs} == {"Windows"}
        assert not any(d.name in systems for d in other_macs)

        plain = b"xar!" + bytes(range(256)) * 12  # a .pkg is a xar archive
        blob, info = encrypt(plain)
        mac_app = await publish_app(graph, MAC_APP, encrypted=(blob, len(plain), info))
        pc_app = await publish_app(graph)
        for app_id in (mac_app, pc_app):
            assigned = await graph.post(
                f"{APPS}/{app_id}/assign", json={"mobileAppAssignments": [required(LAB_GROUP)]}
            )
            assert assigned.status_code == 204
        report = await graph.post(
            "/deviceManagement/reports/retrieveDeviceAppInstallationStatusReport",
            json={
                "filter": f"(ApplicationId eq '{mac_app}')",
                "select": ["DeviceName", "Platform"],
            },
        )
        pending = report.json()
        assert pending["TotalRowCount"] == len(lab_macs)  # Windows PCs are not targeted
        assert {row[1] for row in pending["Values"]} == {"macOS"}

        sb.advance(hours=200)  # every connectivity class checks in at least once
        assert all(d.app_states[mac_app][0] == "installed" for d in lab_macs)
        assert all(mac_app not in d.app_states for d in lab_pcs)
        assert all(d.app_states[pc_app][0] == "installed" for d in lab_pcs)
        assert all(pc_app not in d.app_states for d in lab_macs)
        assert not any(d.policy_logs for d in lab_macs)  # Jamf never saw them
