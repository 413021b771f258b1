"""Microsoft's msgraph-sdk (v1.0) uploads a macOS app to the sandbox: it creates a
macOSLobApp with child apps and a minimum OS, a content version and file, commits the file
with a fileEncryptionInfo its own models serialize (binary fields as base64), and reads the
app back through its own parser. The sandbox checks that encryption info against the blob."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import pytest

from reconciler.connectors.intune_macos import encrypt
from reconciler.sandbox import Sandbox
from tests.sandbox.test_vendor_sdks import _token_provider

msgraph = pytest.importorskip("msgraph")
PKG = b"xar!" + hashlib.sha256(b"rectangle").digest() * 40


async def _wait(item: Any, state: str) -> Any:
    for _ in range(10):
        found = await item.get()
        if found.upload_state.value == state:
            return found
    raise AssertionError(f"upload state never reached {state}")


async def test_msgraph_sdk_uploads_and_commits_a_macoslobapp(sandbox: Sandbox) -> None:
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.device_app_management.mobile_apps.item.graph_mac_o_s_lob_app.content_versions.item.files.item.commit.commit_post_request_body import (
        CommitPostRequestBody,
    )
    from msgraph.generated.models.file_encryption_info import FileEncryptionInfo
    from msgraph.generated.models.mac_o_s_lob_app import MacOSLobApp
    from msgraph.generated.models.mac_o_s_lob_child_app import MacOSLobChildApp
    from msgraph.generated.models.mac_o_s_minimum_operating_system import (
        MacOSMinimumOperatingSystem,
    )
    from msgraph.generated.models.mobile_app_content import MobileAppContent
    from msgraph.generated.models.mobile_app_content_file import MobileAppContentFile

    adapter = GraphRequestAdapter(_token_provider(sandbox))
    adapter.base_url = sandbox.graph_v1_url
    client = GraphServiceClient(request_adapter=adapter)
    created = await client.device_app_management.mobile_apps.post(
        MacOSLobApp(
            display_name="Rectangle 0.85",
            publisher="Ryan Hanson",
            file_name="Rectangle-0.85.pkg",
            bundle_id="com.knollsoft.Rectangle",
            build_number="0.85",
            version_number="0.85",
            child_apps=[
                MacOSLobChildApp(
                    bundle_id="com.knollsoft.Rectangle", build_number="0.85", version_number="0.85"
                )
            ],
            minimum_supported_operating_system=MacOSMinimumOperatingSystem(v12_0=True),
            install_as_managed=False,
        )
    )
    assert isinstance(created, MacOSLobApp) and created.id
    lob = client.device_app_management.mobile_apps.by_mobile_app_id(created.id)
    typed = lob.graph_mac_o_s_lob_app
    version = await typed.content_versions.post(MobileAppContent())
    assert version is not None and version.id
    blob, info = encrypt(PKG)
    files = typed.content_versions.by_mobile_app_content_id(version.id).files
    file = await files.post(
        MobileAppContentFile(name="Rectangle-0.85.pkg", size=len(PKG), size_encrypted=len(blob))
    )
    assert file is not None and file.id
    item = files.by_mobile_app_content_file_id(file.id)
    ready = await _wait(item, "azureStorageUriRequestSuccess")
    block = base64.b64encode(b"block-00000000").decode()
    async with httpx.AsyncClient() as storage:
        put = await storage.put(
            f"{ready.azure_storage_uri}&comp=block&blockid={block}",
            content=blob,
            headers={"x-ms-blob-type": "BlockBlob"},
        )
        assert put.status_code == 201
        listed = (
            f'<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>{block}</Latest></BlockList>'
        )
        assert (
            await storage.put(f"{ready.azure_storage_uri}&comp=blocklist", content=listed)
        ).status_code == 201

    def raw(name: str) -> bytes:
        return base64.b64decode(info[name])

    await item.commit.post(
        CommitPostRequestBody(
            file_encryption_info=FileEncryptionInfo(
                encryption_key=raw("encryptionKey"),
                mac_key=raw("macKey"),
                initialization_vector=raw("initializationVector"),
                mac=raw("mac"),
                profile_identifier="ProfileVersion1",
                file_digest=raw("fileDigest"),
                file_digest_algorithm="SHA256",
            )
        )
    )
    await _wait(item, "commitFileSuccess")
    await lob.patch(MacOSLobApp(committed_content_version=version.id))
    read = await lob.get()
    assert isinstance(read, MacOSLobApp)
    assert read.committed_content_version == version.id
    assert read.child_apps is not None and read.child_apps[0].bundle_id == "com.knollsoft.Rectangle"
    assert read.minimum_supported_operating_system is not None
    assert read.minimum_supported_operating_system.v12_0 is True


async def test_a_second_true_release_flag_is_refused(sandbox: Sandbox) -> None:
    from kiota_abstractions.api_error import APIError
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph.generated.models.mac_o_s_lob_app import MacOSLobApp
    from msgraph.generated.models.mac_o_s_minimum_operating_system import (
        MacOSMinimumOperatingSystem,
    )

    adapter = GraphRequestAdapter(_token_provider(sandbox))
    adapter.base_url = sandbox.graph_v1_url
    client = GraphServiceClient(request_adapter=adapter)
    with pytest.raises(APIError) as refused:
        await client.device_app_management.mobile_apps.post(
            MacOSLobApp(
                display_name="Rectangle 0.85",
                publisher="Ryan Hanson",
                file_name="Rectangle-0.85.pkg",
                bundle_id="com.knollsoft.Rectangle",
                build_number="0.85",
                minimum_supported_operating_system=MacOSMinimumOperatingSystem(
                    v11_0=True, v12_0=True
                ),
            )
        )
    assert refused.value.response_status_code == 400
