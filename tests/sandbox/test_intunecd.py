"""IntuneCD, a widely used Intune backup tool no one here wrote, backs up the sandbox's apps
and assignments exactly as it backs up a real tenant.

The only change is its base URL: IntuneCD calls ``https://graph.microsoft.com`` through
``requests`` (hard-coded, including its ``$batch`` endpoint), so the test rewrites that
origin to the sandbox in requests' transport adapter. Its ``$filter``, its
``$select=roleScopeTagIds,id`` reads in ``$batch``, its indexing of ``displayVersion`` and
the scope-tag and group-name lookups all run unchanged.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

from reconciler.sandbox import Sandbox
from tests.sandbox.conftest import LAB_GROUP, graph_token, publish_app, required


def _redirect(monkeypatch: pytest.MonkeyPatch, base_url: str) -> list[str]:
    """Send what IntuneCD addresses to graph.microsoft.com to the sandbox; returns the URLs."""
    seen: list[str] = []
    send = requests.adapters.HTTPAdapter.send

    def to_sandbox(adapter: Any, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        assert request.url is not None and request.url.startswith("https://graph.microsoft.com/")
        request.url = request.url.replace("https://graph.microsoft.com", base_url, 1)
        seen.append(request.url)
        return send(adapter, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", to_sandbox)
    return seen


async def test_intunecd_backs_up_apps_and_assignments(
    sandbox: Sandbox, graph: httpx.AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from IntuneCD.backup.Intune.Applications import ApplicationsBackupModule  # a dev dependency
    from IntuneCD.intunecdlib.process_scope_tags import ProcessScopeTags

    app_id = await publish_app(graph)
    assigned = await graph.post(
        f"/deviceAppManagement/mobileApps/{app_id}/assign",
        json={"mobileAppAssignments": [required(LAB_GROUP)]},
    )
    assert assigned.status_code == 204
    async with httpx.AsyncClient() as client:
        token = await graph_token(client, sandbox)
    seen = _redirect(monkeypatch, sandbox.base_url)

    def backup() -> Any:
        # as IntuneCD's backup command does: scope tags first, then each module
        scope_tags = ProcessScopeTags({"access_token": token}).get_scope_tags()
        module = ApplicationsBackupModule(
            path=str(tmp_path),
            filetype="json",
            token={"access_token": token},
            exclude=[],
            scope_tags=scope_tags,
        )
        return module.main()

    results = await asyncio.to_thread(backup)
    assert results is not None, "IntuneCD logged an error reading the sandbox"
    assert results["config_count"] == 1
    assert any("%24filter=" in url or "$filter=" in url for url in seen)
    assert any(url.endswith("/beta/$batch") for url in seen)
    (saved,) = (tmp_path / "Applications" / "Windows").glob("*.json")
    app = json.loads(saved.read_text())
    assert app["@odata.type"] == "#microsoft.graph.win32LobApp"
    assert app["displayName"] == "7-Zip 24.08"
    assert app["roleScopeTagIds"] == ["Default"]  # ids resolved through roleScopeTags
    assert app["publishingState"] == "published"
    (assignment,) = app["assignments"]
    assert assignment["intent"] == "required"
    assert assignment["target"]["groupName"] == "EUCORA ring lab"
