"""The content keys of an Intune for macOS upload never reach the logs."""

from __future__ import annotations

import json

import httpx
import pytest
import structlog

from reconciler import logs
from reconciler.sandbox import Sandbox
from tests.connectors.contract.intune_macos import mac_app, macos_connector
from tests.connectors.contract.provider import STORE


async def test_an_upload_logs_neither_key(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(json_output=True, level="debug")
    sent: list[dict[str, str]] = []

    async def hook(request: httpx.Request) -> None:
        if request.url.path.endswith("/commit"):
            sent.append(json.loads(request.content)["fileEncryptionInfo"])

    try:
        async with Sandbox(devices_windows=5, devices_macos=5) as sandbox:
            connector = macos_connector(sandbox)
            connector.graph.client.event_hooks["request"].append(hook)
            app = mac_app("vlc-3.0.21")
            app_id = await connector.create_app(app)
            await connector.upload_content(app_id, app, STORE)
            structlog.get_logger("test").info("commit", fileEncryptionInfo=sent[0])
            await connector.aclose()
    finally:
        structlog.reset_defaults()
    output = capsys.readouterr().err
    assert '"http.request"' in output and '"commit"' in output
    (info,) = sent
    assert info["encryptionKey"] not in output
    assert info["macKey"] not in output


def test_the_redaction_processor_hides_content_keys() -> None:
    event = logs.redact_secrets(
        None,
        "info",
        {
            "info": {"encryptionKey": "AAAA", "macKey": "BBBB", "mac": "public"},
            "body": '{"encryptionKey": "CCCC", "macKey": "DDDD"}',
        },
    )
    text = json.dumps(event)
    assert not any(secret in text for secret in ("AAAA", "BBBB", "CCCC", "DDDD"))
    assert "public" in text
