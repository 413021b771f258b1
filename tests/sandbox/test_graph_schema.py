"""The emulated Graph's property lists are Microsoft's: regenerated from the installed
msgraph-sdk (v1.0) and msgraph-beta-sdk (beta) models, they equal the committed file."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import httpx

from reconciler.sandbox import Sandbox
from tests.sandbox.conftest import WIN32_APP

ROOT = Path(__file__).resolve().parents[2]
APPS = "/deviceAppManagement/mobileApps"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("graph_schema", ROOT / "tools/graph_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_schema_is_what_the_installed_sdks_declare() -> None:
    generator = _generator()
    committed = (ROOT / "reconciler/sandbox/graph_schema.json").read_text(encoding="utf-8")
    assert generator.render(generator.generate()) == committed, "run `python tools/graph_schema.py`"


def test_version_specific_properties_come_from_the_models() -> None:
    document = json.loads((ROOT / "reconciler/sandbox/graph_schema.json").read_text())
    v1 = document["versions"]["v1.0"]["types"]["microsoft.graph.win32LobApp"]["properties"]
    beta = document["versions"]["beta"]["types"]["microsoft.graph.win32LobApp"]["properties"]
    assert "displayVersion" not in v1 and beta["displayVersion"] == "Edm.String"
    assert {"roleScopeTagIds", "isAssigned"} <= set(beta) - set(v1)
    assert {"installCommandLine", "rules", "minimumSupportedWindowsRelease"} <= set(v1)


async def test_reads_carry_what_each_version_declares(
    sandbox: Sandbox, graph: httpx.AsyncClient
) -> None:
    app_id = (await graph.post(APPS, json=WIN32_APP)).json()["id"]
    v1 = (await graph.get(f"{APPS}/{app_id}")).json()
    assert "displayVersion" not in v1 and "roleScopeTagIds" not in v1
    assert v1["publishingState"] == "notPublished" and v1["createdDateTime"]
    assert v1["minimumSupportedWindowsRelease"] is None  # declared, unset: null
    assert "maxRunTimeInMinutes" not in v1["installExperience"]
    async with httpx.AsyncClient(base_url=sandbox.graph_beta_url, headers=graph.headers) as beta:
        patched = await beta.patch(
            f"{APPS}/{app_id}",
            json={"@odata.type": "#microsoft.graph.win32LobApp", "displayVersion": "24.08"},
        )
        assert patched.status_code == 204
        read = (await beta.get(f"{APPS}/{app_id}")).json()
    for key in ("roleScopeTagIds", "isAssigned", "publishingState", "lastModifiedDateTime"):
        assert key in read
    assert read["displayVersion"] == "24.08"
    assert read["roleScopeTagIds"] == ["0"]
