"""Microsoft's own Graph SDK (msgraph-sdk) reads the sandbox and parses it into its models.

A client no one here wrote is the judge of whether the sandbox speaks Graph's wire format.
"""

from __future__ import annotations

from typing import Any

import httpx
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from msgraph import GraphServiceClient
from msgraph.generated.models.group_assignment_target import GroupAssignmentTarget
from msgraph.generated.models.install_intent import InstallIntent
from msgraph.generated.models.win32_lob_app import Win32LobApp
from msgraph.graph_request_adapter import GraphRequestAdapter

from reconciler.sandbox import Sandbox
from tests.connectors.test_faults_contract import connector_for
from tests.connectors.test_intune_contract import LAB, STORE, required, windows_app


class SandboxTokens(AccessTokenProvider):  # type: ignore[misc]
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: Any = None
    ) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.sandbox.graph.client_id,
            "client_secret": self.sandbox.graph.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        }
        async with httpx.AsyncClient() as client:
            token: str = (await client.post(self.sandbox.token_url, data=form)).json()[
                "access_token"
            ]
            return token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator(["127.0.0.1"])


async def test_msgraph_sdk_lists_apps_and_assignments_into_its_models() -> None:
    async with Sandbox(devices_windows=10) as sandbox:
        connector = connector_for(sandbox)
        app = windows_app("7zip-24.08")
        app_id = await connector.create_app(app)
        await connector.upload_content(app_id, app, STORE)
        await connector.set_assignments(app_id, required(LAB))

        adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(SandboxTokens(sandbox)))
        adapter.base_url = sandbox.graph_url
        sdk = GraphServiceClient(request_adapter=adapter)
        listed = await sdk.device_app_management.mobile_apps.get()
        (parsed,) = listed.value
        assert isinstance(parsed, Win32LobApp)
        assert parsed.id == app_id and parsed.display_name == "7-Zip 24.08"
        assert parsed.install_command_line == app.properties["installCommandLine"]
        assert parsed.notes == str(app.marker)
        assignments = await sdk.device_app_management.mobile_apps.by_mobile_app_id(
            app_id
        ).assignments.get()
        (assignment,) = assignments.value
        assert assignment.intent == InstallIntent.Required
        assert isinstance(assignment.target, GroupAssignmentTarget)
        assert assignment.target.group_id == LAB
        await connector.aclose()
