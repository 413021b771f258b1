"""Fetching fleet repos: option-like URLs and refs never reach git; branches, tags, commits do."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import git
import pytest

from reconciler.domain.errors import SourceError
from reconciler.gitops import (
    SshVerifier,
    UnsafeSourceError,
    check_ref,
    check_url,
    fetch,
    open_local,
    sign_payload,
)
from tests.conftest import ROOT


@pytest.mark.parametrize(
    "url",
    [
        "--upload-pack=touch /tmp/pwned",
        "-oProxyCommand=evil",
        "ext::sh -c touch% /tmp/pwned",
        "fd::17",
        "https://example.com/repo.git --upload-pack=x",
        "",
    ],
)
def test_dangerous_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeSourceError):
        check_url(url)


@pytest.mark.parametrize(
    "ref", ["--output=/tmp/x", "-b", "a..b", "main.lock", "refs/heads/", "x y"]
)
def test_dangerous_refs_are_refused(ref: str) -> None:
    with pytest.raises(UnsafeSourceError):
        check_ref(ref)


@pytest.mark.parametrize(
    "url",
    ["https://git.example.com/fleet.git", "git@github.com:contoso/fleet.git", "file:///srv/fleet"],
)
def test_ordinary_urls_pass(url: str) -> None:
    assert check_url(url) == url


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    repo = git.Repo.init(tmp_path / "origin", initial_branch="main")
    shas = {}
    with repo.config_writer() as config:
        config.set_value("user", "email", "dana.lee@contoso.example")
        config.set_value("user", "name", "Dana Lee")
    for version in ("1", "2"):
        (tmp_path / "origin" / "fleet.yaml").write_text(f"version: {version}\n")
        repo.index.add(["fleet.yaml"])
        shas[version] = repo.index.commit(f"v{version}").hexsha
        if version == "1":
            repo.create_tag("v1")
    repo.create_head("staging", shas["1"])
    return tmp_path / "origin", shas


def test_fetch_branch_tag_and_commit(tmp_path: Path, origin: tuple[Path, dict[str, str]]) -> None:
    path, shas = origin
    url = path.as_uri()
    cache = tmp_path / "cache"
    assert fetch(url, "main", cache).commit == shas["2"]
    assert fetch(url, "v1", cache).commit == shas["1"]
    assert fetch(url, "staging", cache).commit == shas["1"]
    revision = fetch(url, shas["2"], cache)
    assert revision.commit == shas["2"]
    assert (Path(revision.path) / "fleet.yaml").read_text() == "version: 2\n"
    with pytest.raises(SourceError):
        fetch(url, "no-such-branch", cache)


def test_open_local(origin: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, shas = origin
    assert open_local(path).commit == shas["2"]
    with pytest.raises(SourceError):
        open_local(tmp_path / "nothing")


def test_approvals_can_be_signed_by_a_key_held_in_ssh_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``user.signingkey`` may name a public key (file or ``key::`` literal) whose private
    half only ssh-agent holds, as git allows."""
    keys = ROOT / "examples" / "keys"
    private = tmp_path / "grace"
    shutil.copyfile(keys / "grace.kim", private)
    private.chmod(0o600)
    socket = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if socket.exists():
                break
            time.sleep(0.05)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(socket))
        subprocess.run(["ssh-add", "-q", str(private)], check=True)
        private.unlink()  # from now on only the agent has it
        signature = sign_payload(b"approval", (keys / "grace.kim.pub").read_text().strip())
        check = SshVerifier(keys / "allowed_signers").verify(
            "grace.kim@contoso.example", b"approval", signature, datetime.now(UTC)
        )
        assert check.good, check
    finally:
        agent.terminate()
        agent.wait(timeout=10)
