"""Macs enrolled in Intune install what the connector uploads and report it; the sandbox
accepts the content only when its fileEncryptionInfo opens it."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pytest

from reconciler.connectors.graph import Content
from reconciler.connectors.intune_macos import IntuneMacosConnector
from reconciler.domain.errors import PermanentTenantError
from reconciler.domain.ports import PackageStore
from reconciler.domain.tenant import DesiredApp
from reconciler.sandbox import Sandbox
from reconciler.sandbox._encryption import content_problem
from tests.connectors.contract.intune import CANARY, LAB, required
from tests.connectors.contract.intune_macos import mac_app, macos_connector
from tests.connectors.contract.provider import STORE


async def test_intune_macs_in_a_ring_install_and_report(tmp_path: Any) -> None:
    async with Sandbox(
        devices_windows=40, devices_macos=40, macos_mdm={"lab": "intune", "canary": "intune"}
    ) as sandbox:
        connector = macos_connector(sandbox)
        app = mac_app("vlc-3.0.21")
        app_id = await connector.create_app(app)
        await connector.upload_content(app_id, app, STORE)
        (uploaded,) = [f for f in sandbox.graph.blob.files.values() if f.content is not None]
        assert uploaded.upload_state == "commitFileSuccess"
        assert (
            uploaded.content != (await STORE.local_file(app.package)).read_bytes()
        )  # what travelled is ciphertext
        await connector.set_assignments(app_id, required(LAB))
        sandbox.advance(hours=24)
        snapshot = await connector.snapshot([LAB, CANARY])
        (observed,) = snapshot.managed()["vlc-3.0.21"]
        lab_macs = [d for d in sandbox.devices if d.ring == "lab" and d.platform == "macos"]
        counts = observed.install[LAB]
        assert counts.installed + counts.failed == len(lab_macs) > 0
        assert CANARY not in observed.install or observed.install[CANARY].reporting == 0
        devices = observed.devices[LAB]
        assert {d.device for d in devices} == {f"macos:{m.managed_id}" for m in lab_macs}
        assert all(d.state == "installed" for d in devices if d.reached_at is not None)
        await connector.aclose()


class _WrongKey(IntuneMacosConnector):
    """Sends a fileEncryptionInfo whose key does not open the upload."""

    async def content(self, app: DesiredApp, store: PackageStore) -> Content:
        good = await super().content(app, store)
        wrong_key = base64.b64encode(bytes(32)).decode()
        return replace(good, encryption_info=good.encryption_info | {"encryptionKey": wrong_key})


async def test_a_commit_the_keys_do_not_open_fails() -> None:
    async with Sandbox(devices_windows=5, devices_macos=5) as sandbox:
        good = macos_connector(sandbox)
        wrong = _WrongKey(good.graph, poll_interval=0)
        app: DesiredApp = mac_app("vlc-3.0.21")
        app_id = await wrong.create_app(app)
        with pytest.raises(PermanentTenantError, match="commitFileFailed"):
            await wrong.upload_content(app_id, app, STORE)
        (failed,) = sandbox.graph.blob.files.values()
        assert failed.commit_problem is not None
        assert content_problem(failed.content or b"", {}, failed.size) is not None
        assert not (await good.snapshot([])).apps[0].content_ready
        await good.aclose()
