"""GitSource Secrets: Git credentials, the CAB signers file and tenant settings."""

from __future__ import annotations

import base64
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.domain.errors import ConfigurationError, SourceError
from reconciler.gitops import GitCredentials, fetch
from reconciler.operator import OperatorConfig, OperatorState
from reconciler.operator._kube import KubeClient
from reconciler.operator._secrets import TOKEN_USERNAME, resolve
from tests.operator._apiserver import ApiServer
from tests.operator.conftest import (
    fetched,
    git_source,
    running_operator,
    secret,
    state_of,
    until,
    wiring,
)

GS = "eucora.io/v1alpha1/gitsources"
SIGNERS = "cab@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample\n"
TENANT = {
    "INTUNE_TENANT_ID": "contoso", "INTUNE_CLIENT_ID": "app", "INTUNE_CLIENT_SECRET": "s3cret",
    "JAMF_URL": "https://jamf.example.com", "JAMF_CLIENT_ID": "jc",
    "JAMF_CLIENT_SECRET": "js3cret",
}  # fmt: skip


class Secrets:
    def __init__(self, **secrets: dict[str, str]) -> None:
        self.secrets = secrets

    async def get_secret(self, namespace: str, name: str) -> dict[str, str]:
        if name not in self.secrets:
            raise SourceError(f"Secret {namespace}/{name} not found")
        return self.secrets[name]


SPEC = {
    "url": "https://git.example.com/fleet.git",
    "secretRef": {"name": "git"},
    "signersSecretRef": {"name": "signers"},
    "tenantSecretRef": {"name": "tenant"},
}


async def test_all_three_secrets_resolve(tmp_path: Path) -> None:
    reader = Secrets(
        git={"token": "ghp_token"}, signers={"allowed_signers": SIGNERS}, tenant=TENANT
    )
    secrets = await resolve(SPEC, "fleet", reader, tmp_path / "uid")
    assert secrets.git == GitCredentials(username=TOKEN_USERNAME, password="ghp_token")
    assert secrets.signers_file is not None
    assert secrets.signers_file.read_text() == SIGNERS
    assert secrets.signers_file.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "uid").stat().st_mode & 0o777 == 0o700
    intune, jamf = secrets.tenants.get("intune"), secrets.tenants.get("jamf")
    assert intune is not None and intune.tenant_id == "contoso"
    assert jamf is not None and (jamf.url, jamf.client_id) == ("https://jamf.example.com", "jc")
    assert "s3cret" not in repr(secrets)
    assert "ghp_token" not in repr(secrets)


async def test_ssh_identity_is_written_privately_and_handed_to_ssh(tmp_path: Path) -> None:
    reader = Secrets(
        git={"identity": "-----KEY-----", "known_hosts": "git.example.com ssh-ed25519 AAA"}
    )
    secrets = await resolve({"secretRef": {"name": "git"}}, "fleet", reader, tmp_path)
    assert secrets.git is not None and secrets.git.ssh_key_file == tmp_path / "identity"
    assert (tmp_path / "identity").read_text() == "-----KEY-----\n"
    assert (tmp_path / "identity").stat().st_mode & 0o777 == 0o600
    env = secrets.git.environment("ssh://git@git.example.com/fleet.git")
    assert f"-i {tmp_path / 'identity'}" in env["GIT_SSH_COMMAND"]
    assert "StrictHostKeyChecking=yes" in env["GIT_SSH_COMMAND"]


async def test_only_intune_keys_manage_only_intune(tmp_path: Path) -> None:
    intune_only = {k: v for k, v in TENANT.items() if k.startswith("INTUNE_")}
    secrets = await resolve(
        {"tenantSecretRef": {"name": "t"}}, "fleet", Secrets(t=intune_only), tmp_path
    )
    assert secrets.tenants.get("intune") is not None and secrets.tenants.get("jamf") is None


@pytest.mark.parametrize(
    ("secrets", "error"),
    [
        ({"signers": {"wrong": "x"}}, "has no key allowed_signers"),
        ({"git": {"user": "x"}}, "need password, token or identity"),
        ({"tenant": {"INTUNE_TENANT_ID": "t"}}, "INTUNE_CLIENT_ID"),
    ],
)
async def test_bad_secrets_are_configuration_errors(
    secrets: dict[str, dict[str, str]], error: str, tmp_path: Path
) -> None:
    spec = {
        {"git": "secretRef", "signers": "signersSecretRef", "tenant": "tenantSecretRef"}[k]: {
            "name": k
        }
        for k in secrets
    }
    with pytest.raises(ConfigurationError, match=error):
        await resolve(spec, "fleet", Secrets(**secrets), tmp_path)


def test_password_reaches_git_as_a_header_for_its_origin_only() -> None:
    env = GitCredentials(username="u", password="p").environment("https://git.example.com/a/b.git")
    assert env["GIT_CONFIG_KEY_0"] == "http.https://git.example.com/.extraHeader"
    assert env["GIT_CONFIG_VALUE_0"] == f"Authorization: Basic {base64.b64encode(b'u:p').decode()}"
    assert "p" not in repr(GitCredentials(username="u", password="p")).replace("username", "")


@pytest.fixture()
def git_server() -> Iterator[tuple[str, list[str | None]]]:
    """A remote on 127.0.0.1 that records the Authorization header and has no repo."""
    seen: list[str | None] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization"))
            self.send_response(404)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/fleet.git", seen
    server.shutdown()


def test_fetch_sends_credentials_only_in_the_request(
    git_server: tuple[str, list[str | None]], tmp_path: Path
) -> None:
    url, seen = git_server
    with pytest.raises(SourceError) as raised:
        fetch(url, "main", tmp_path, GitCredentials(username="bot", password="hunter2-secret"))
    assert seen and seen[0] == f"Basic {base64.b64encode(b'bot:hunter2-secret').decode()}"
    assert "hunter2-secret" not in str(raised.value)
    assert not any(
        "hunter2" in p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.is_file()
    )


# --- against the emulated API server -------------------------------------------------------


@pytest.fixture()
def with_secrets(cluster: Any) -> Any:
    cluster.resources["v1/secrets"] = {
        "namespaced": True, "kind": "Secret", "verbs": ["get", "list", "watch"],
    }  # fmt: skip
    cluster.objects["v1/secrets", "fleet", "signers"] = secret(
        "signers", {"allowed_signers": SIGNERS}
    )
    cluster.objects["v1/secrets", "fleet", "tenant"] = secret("tenant", TENANT)
    cluster.objects["v1/secrets", "fleet", "git"] = secret("git", {"identity": "-----KEY-----"})
    return cluster


@pytest.mark.kmock(cls=ApiServer)
async def test_kube_client_reads_and_decodes_secrets(with_secrets: Any) -> None:
    kube = KubeClient(str(with_secrets.url).rstrip("/"))
    try:
        assert await kube.get_secret("fleet", "tenant") == TENANT
        with pytest.raises(SourceError, match="Secret fleet/nope not found"):
            await kube.get_secret("fleet", "nope")
    finally:
        await kube.close()


@pytest.mark.kmock(cls=ApiServer)
async def test_operator_keeps_signers_file_and_tenant_settings_per_source(
    with_secrets: Any, fleet_git: Path, config: OperatorConfig
) -> None:
    with_secrets.objects[GS, "fleet", "src"] = git_source(
        "src", "fleet", fleet_git, secretRef={"name": "git"},
        signersSecretRef={"name": "signers"}, tenantSecretRef={"name": "tenant"},
    )  # fmt: skip
    async with running_operator(wiring(with_secrets, config)) as memo:
        assert await until(lambda: fetched(memo))
        state: OperatorState = memo.state
        source = state.sources["uid-src"].config
        assert source is not None and source.signers is not None
        assert source.signers.read_text() == SIGNERS
        assert source.tenants.get("intune").client_secret == "s3cret"
        assert source.tenants.get("jamf").client_id == "jc"
        secrets_dir = state.deps.secrets_dir
    assert not secrets_dir.exists()  # removed on cleanup


@pytest.mark.kmock(cls=ApiServer)
async def test_missing_secret_sets_ready_false_and_deletion_forgets_the_source(
    with_secrets: Any, fleet_git: Path, config: OperatorConfig
) -> None:
    with_secrets.objects[GS, "fleet", "broken"] = git_source(
        "broken", "fleet", fleet_git, tenantSecretRef={"name": "absent"}
    )
    with_secrets.objects[GS, "fleet", "src"] = git_source(
        "src", "fleet", fleet_git, signersSecretRef={"name": "signers"}
    )

    def ready(name: str) -> dict[str, Any]:
        conditions = with_secrets.objects[GS, "fleet", name].get("status", {}).get("conditions")
        return next((c for c in conditions or [] if c["type"] == "Ready"), {})

    async with running_operator(wiring(with_secrets, config)) as memo:
        assert await until(lambda: ready("broken").get("reason") == "SourceUnavailable")
        assert ready("broken")["message"] == "Secret fleet/absent not found"
        assert await until(lambda: fetched(memo))
        state = state_of(memo)
        assert state is not None
        signers = state.sources["uid-src"].config.signers
        signers_dir = signers.parent
        async with httpx.AsyncClient(base_url=str(with_secrets.url).rstrip("/")) as http:
            await http.delete("/apis/eucora.io/v1alpha1/namespaces/fleet/gitsources/src")
        assert await until(lambda: "uid-src" not in state.sources)
        assert not signers_dir.exists()


async def test_the_package_store_secret_gives_the_store_credentials_and_nothing_else(
    tmp_path: Path,
) -> None:
    spec = {**SPEC, "packageStoreSecretRef": {"name": "store"}}
    store = {"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "shh", "OTHER": "x"}
    reader = Secrets(git={"token": "t"}, signers={"allowed_signers": SIGNERS}, tenant=TENANT,
                     store=store)  # fmt: skip
    secrets = await resolve(spec, "fleet", reader, tmp_path / "uid")
    assert secrets.packages is not None
    assert dict(secrets.packages.values) == {"AWS_ACCESS_KEY_ID": "AKIA",
                                             "AWS_SECRET_ACCESS_KEY": "shh"}  # fmt: skip
    assert "shh" not in repr(secrets)
    assert not any("shh" in p.read_text() for p in (tmp_path / "uid").iterdir())
    reader.secrets["store"] = {"OTHER": "x"}
    with pytest.raises(ConfigurationError, match="none of the package store keys"):
        await resolve(spec, "fleet", reader, tmp_path / "uid")


async def test_the_source_engine_gets_the_package_store_credentials_and_rebuilds_on_rotation(
    tmp_path: Path,
) -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from reconciler.domain.ports import Revision
    from reconciler.engine import MemoryStateStore
    from reconciler.operator._engines import SourceConfig, SourceEngine
    from reconciler.operator._secrets import TenantSettings
    from reconciler.packages import StoreCredentials

    tenants = TenantSettings.from_mapping(TENANT)
    keys = StoreCredentials.from_mapping({"AZURE_STORAGE_CONNECTION_STRING": "one"})
    config = SourceConfig.from_spec("fleet/src", SPEC, tenants, None, None, keys)
    source = SourceEngine(clock=lambda: datetime.now(UTC), audit_path=tmp_path / "audit.jsonl")
    revision = Revision(str(tmp_path), "0" * 40)
    loaded = SimpleNamespace(root=tmp_path, revision=revision, repo=SimpleNamespace(intents={}))

    def credentials_of(engine: Any) -> Any:  # the package store the engine opens per pass
        return engine.packages(loaded).credentials

    engine = await source.engine(config, MemoryStateStore(), revision)
    assert credentials_of(engine) == keys
    rotated = StoreCredentials.from_mapping({"AZURE_STORAGE_CONNECTION_STRING": "two"})
    config = SourceConfig.from_spec("fleet/src", SPEC, tenants, None, None, rotated)
    again = await source.engine(config, MemoryStateStore(), revision)
    assert again is not engine and credentials_of(again) == rotated
    await source.close()
