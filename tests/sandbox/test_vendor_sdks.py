"""The sandbox judged by clients no one here wrote: Jamf's ``jamf-pro-sdk`` and
Microsoft's ``msgraph-sdk`` (with a custom kiota AccessTokenProvider that runs the real
client-credentials request against the sandbox's token endpoint)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from reconciler.sandbox import Sandbox
from tests.sandbox.conftest import LAB_GROUP, publish_app, required
from tests.sandbox.test_jamf import PACKAGE

jamf_sdk = pytest.importorskip("jamf_pro_sdk")
msgraph = pytest.importorskip("msgraph")


async def test_jamf_pro_sdk_lists_computers_and_packages(
    sandbox: Sandbox, jamf: httpx.AsyncClient
) -> None:
    from jamf_pro_sdk import ApiClientCredentialsProvider, JamfProClient, SessionConfig

    for n in range(3):
        await jamf.post(
            "/api/v1/packages", json=PACKAGE | {"packageName": f"p{n}.pkg", "fileName": f"p{n}.pkg"}
        )

    def use_sdk() -> tuple[list[Any], list[Any]]:
        client = JamfProClient(
            server="127.0.0.1",
            port=sandbox.port,
            session_config=SessionConfig(scheme="http"),
            credentials=ApiClientCredentialsProvider(
                sandbox.jamf_client_id, sandbox.jamf_client_secret
            ),
        )
        computers = client.pro_api.get_computer_inventory_v3(
            sections=["GENERAL", "APPLICATIONS"], page_size=50
        )
        packages = client.pro_api.get_packages_v1(page_size=2)
        return computers, packages

    computers, packages = await asyncio.to_thread(use_sdk)
    assert len(computers) == 112
    assert computers[0].general.name.startswith("MAC-")
    assert computers[0].applications == []
    assert sorted(p.packageName for p in packages) == ["p0.pkg", "p1.pkg", "p2.pkg"]


async def test_msgraph_sdk_parses_apps_and_assignments(
    sandbox: Sandbox, graph: httpx.AsyncClient
) -> None:
    from kiota_abstractions.authentication import (
        AccessTokenProvider,
        AllowedHostsValidator,
        BaseBearerTokenAuthenticationProvider,
    )
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.models.group_assignment_target import GroupAssignmentTarget
    from msgraph.generated.models.win32_lob_app import Win32LobApp

    app_id = await publish_app(graph)
    await graph.post(
        f"/deviceAppManagement/mobileApps/{app_id}/assign",
        json={"mobileAppAssignments": [required(LAB_GROUP)]},
    )

    class SandboxTokens(AccessTokenProvider):  # type: ignore[misc]
        async def get_authorization_token(
            self, uri: str, additional_authentication_context: Any = None
        ) -> str:
            async with httpx.AsyncClient() as client:
                response = await client.post(
                    sandbox.token_url,
                    data={
                        "client_id": sandbox.client_id,
                        "client_secret": sandbox.client_secret,
                        "scope": "https://graph.microsoft.com/.default",
                        "grant_type": "client_credentials",
                    },
                )
                return str(response.json()["access_token"])

        def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
            return AllowedHostsValidator(["127.0.0.1"])

    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(SandboxTokens()))
    adapter.base_url = sandbox.graph_v1_url
    client = GraphServiceClient(request_adapter=adapter)
    apps = await client.device_app_management.mobile_apps.get()
    assert apps is not None and apps.value
    app = apps.value[0]
    assert isinstance(app, Win32LobApp)
    assert app.display_name == "7-Zip 24.08"
    assert app.install_command_line == "7z2408-x64.exe /S"
    assert app.committed_content_version == "1"
    assignments = await client.device_app_management.mobile_apps.by_mobile_app_id(
        app_id
    ).assignments.get()
    assert assignments is not None and assignments.value
    target = assignments.value[0].target
    assert isinstance(target, GroupAssignmentTarget)
    assert target.group_id == LAB_GROUP
    assert str(assignments.value[0].intent.value) == "required"
