"""The sandbox judged by clients no one here wrote: Jamf's ``jamf-pro-sdk`` and
Microsoft's ``msgraph-sdk`` (v1.0) and ``msgraph-beta-sdk`` (with a kiota
AccessTokenProvider that runs the real client-credentials request against the sandbox's
token endpoint; the only other change is the base URL). IntuneCD is in test_intunecd.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox import Sandbox
from tests.sandbox.conftest import LAB_GROUP, graph_token, publish_app, required
from tests.sandbox.test_jamf import PACKAGE

jamf_sdk = pytest.importorskip("jamf_pro_sdk")
msgraph = pytest.importorskip("msgraph")


async def test_jamf_pro_sdk_lists_computers_and_packages(
    sandbox: Sandbox, jamf: httpx.AsyncClient, tmp_path: Path
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
        detail = client.pro_api.get_computer_inventory_detail_v3(computers[0].id)
        classic = client.classic_api.list_all_packages()
        installer = tmp_path / "p0.pkg"
        installer.write_bytes(b"xar!" + b"0" * 60)
        client.pro_api.upload_package_v1(packages[0].id, installer)
        return computers, packages, detail, classic

    computers, packages, detail, classic = await asyncio.to_thread(use_sdk)
    assert len(computers) == 112
    assert computers[0].general.name.startswith("MAC-")
    assert computers[0].applications == []
    assert sorted(p.packageName for p in packages) == ["p0.pkg", "p1.pkg", "p2.pkg"]
    assert detail.general.name == computers[0].general.name
    assert sorted(p.name for p in classic) == ["p0.pkg", "p1.pkg", "p2.pkg"]
    assert sandbox.jamf.uploads[int(packages[0].id)].startswith(b"xar!")


async def test_msgraph_sdk_parses_apps_and_assignments(
    sandbox: Sandbox, graph: httpx.AsyncClient
) -> None:
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.models.group_assignment_target import GroupAssignmentTarget
    from msgraph.generated.models.win32_lob_app import Win32LobApp

    app_id = await publish_app(graph)
    await graph.post(
        f"/deviceAppManagement/mobileApps/{app_id}/assign",
        json={"mobileAppAssignments": [required(LAB_GROUP)]},
    )

    adapter = GraphRequestAdapter(_token_provider(sandbox))
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


def _token_provider(sandbox: Sandbox) -> Any:
    """A kiota token provider running the real client-credentials grant on the sandbox."""
    from kiota_abstractions.authentication import (
        AccessTokenProvider,
        AllowedHostsValidator,
        BaseBearerTokenAuthenticationProvider,
    )

    class SandboxTokens(AccessTokenProvider):  # type: ignore[misc]
        async def get_authorization_token(
            self, uri: str, additional_authentication_context: Any = None
        ) -> str:
            async with httpx.AsyncClient() as client:
                return await graph_token(client, sandbox)

        def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
            return AllowedHostsValidator(["127.0.0.1"])

    return BaseBearerTokenAuthenticationProvider(SandboxTokens())


async def test_msgraph_sdks_write_v1_and_beta_properties_where_each_exists(
    sandbox: Sandbox,
) -> None:
    """Microsoft's v1.0 SDK creates the app (its model has no displayVersion); the beta SDK
    sets displayVersion and reads what only beta declares."""
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.models.run_as_account_type import RunAsAccountType
    from msgraph.generated.models.win32_lob_app import Win32LobApp
    from msgraph.generated.models.win32_lob_app_install_experience import (
        Win32LobAppInstallExperience,
    )
    from msgraph.generated.models.win32_lob_app_restart_behavior import (
        Win32LobAppRestartBehavior,
    )
    from msgraph_beta import GraphRequestAdapter as BetaAdapter
    from msgraph_beta import GraphServiceClient as BetaClient
    from msgraph_beta.generated.models.win32_lob_app import Win32LobApp as BetaWin32LobApp

    adapter = GraphRequestAdapter(_token_provider(sandbox))
    adapter.base_url = sandbox.graph_v1_url
    v1 = GraphServiceClient(request_adapter=adapter)
    created = await v1.device_app_management.mobile_apps.post(
        Win32LobApp(
            display_name="7-Zip 24.08",
            publisher="Igor Pavlov",
            file_name="7z2408-x64.intunewin",
            setup_file_path="7z2408-x64.exe",
            install_command_line="7z2408-x64.exe /S",
            uninstall_command_line="uninstall.exe /S",
            minimum_supported_windows_release="Windows11_23H2",
            install_experience=Win32LobAppInstallExperience(
                run_as_account=RunAsAccountType.System,
                device_restart_behavior=Win32LobAppRestartBehavior.Suppress,
            ),
        )
    )
    assert isinstance(created, Win32LobApp) and created.id
    beta_adapter = BetaAdapter(_token_provider(sandbox))
    beta_adapter.base_url = sandbox.graph_beta_url
    beta = BetaClient(request_adapter=beta_adapter)
    item = beta.device_app_management.mobile_apps.by_mobile_app_id(created.id)
    await item.patch(BetaWin32LobApp(display_version="24.08"))
    read = await item.get()
    assert isinstance(read, BetaWin32LobApp)
    assert read.display_version == "24.08"
    assert read.role_scope_tag_ids == ["0"]
    assert read.is_assigned is False
    assert read.minimum_supported_windows_release == "Windows11_23H2"
