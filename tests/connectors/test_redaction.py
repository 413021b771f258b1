"""No client secret, token or password reaches the logs of a real connector session."""

from __future__ import annotations

import base64

import httpx
import pytest
import structlog

from reconciler import logs
from reconciler.connectors import IntuneConnector, JamfConnector
from reconciler.domain.errors import AuthenticationError
from reconciler.sandbox import Sandbox
from tests.connectors.contract.intune import LAB, connector_for, required, windows_app
from tests.connectors.contract.jamf import LAB as JAMF_LAB
from tests.connectors.contract.jamf import jamf_for, mac_app, scoped
from tests.connectors.contract.provider import STORE


def _record_credentials(connector: IntuneConnector | JamfConnector, seen: set[str]) -> None:
    """Every bearer token and Basic credential the client sends, to look for in the logs."""
    client = connector.graph if isinstance(connector, IntuneConnector) else connector.jamf

    async def hook(request: httpx.Request) -> None:
        kind, _, value = request.headers.get("Authorization", "").partition(" ")
        if kind == "Bearer":
            seen.add(value)
        elif kind == "Basic":
            seen.update(base64.b64decode(value).decode().split(":", 1))

    client.client.event_hooks["request"].append(hook)


async def test_a_session_with_refreshes_and_errors_logs_no_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure(json_output=True, level="debug")
    try:
        async with Sandbox(devices_windows=20, devices_macos=20, seed=3) as sandbox:
            seen: set[str] = set()
            intune = connector_for(sandbox)
            jamf = jamf_for(sandbox, oauth=False)  # Basic username/password → user token
            for connector in (intune, jamf):
                _record_credentials(connector, seen)
            app = windows_app("7zip-24.08")
            app_id = await intune.create_app(app)
            await intune.upload_content(app_id, app, STORE)  # SAS URLs with sig=
            sandbox.revoke_tokens()  # forces a 401 and a refresh on both
            await intune.set_assignments(app_id, required(LAB))
            mac = mac_app("7zip-24.08")
            package = await jamf.create_app(mac)
            await jamf.set_assignments(package, scoped(JAMF_LAB))
            await intune.snapshot([LAB])
            await jamf.snapshot([JAMF_LAB])
            wrong = jamf_for(sandbox)
            wrong.jamf.credentials._secret = "wrong-" + sandbox.jamf_client_secret  # type: ignore[union-attr]
            with pytest.raises(AuthenticationError):
                await wrong.snapshot([])
            for connector in (intune, jamf, wrong):
                await connector.aclose()
    finally:
        structlog.reset_defaults()
    output = capsys.readouterr().err
    assert output.count('"http.request"') > 20 and '"auth.token"' in output
    secrets = {
        sandbox.client_secret,
        sandbox.jamf_client_secret,
        sandbox.jamf_password,
        *seen,
    }
    assert len(seen) >= 4  # two graph tokens, a jamf token, the jamf password and user
    for secret in secrets - {sandbox.jamf_username}:
        assert secret not in output
    assert "sig=" not in output
