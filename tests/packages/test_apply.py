"""The apply step fetches remote installers through the cache and checks the evidence pack
again before an upload (the engine against the sandbox, on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.engine._harness import commit, example_git, harness, keep_only
from tests.packages.conftest import HttpStore

INTENT = "intents/7zip-24.08.yaml"
PKG = "packages/macos/7zip-24.08.pkg"


@pytest.fixture
def fleet(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    repo = example_git(tmp_path_factory.mktemp("built"), tmp_path / "fleet")
    keep_only(repo, ["7zip-24.08"])
    path = repo / INTENT
    path.write_text(path.read_text().replace("    supersedes: 7zip-23.01\n", ""))
    return repo


def uploads(h: object) -> list[bytes]:
    return list(h.sandbox.jamf.uploads.values())  # type: ignore[attr-defined]


async def test_a_remote_installer_is_downloaded_verified_and_uploaded(
    fleet: Path, tmp_path: Path, http_store: HttpStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EUCORA_PACKAGE_CACHE", str(tmp_path / "cache"))
    installer = (fleet / PKG).read_bytes()
    http_store.files["mac/7zip-24.08.pkg"] = installer
    http_store.cut_after["mac/7zip-24.08.pkg"] = [300]  # and the first transfer breaks off
    path = fleet / INTENT
    path.write_text(path.read_text().replace(f"file: {PKG}", "file: "
                                             + http_store.url("mac/7zip-24.08.pkg")))  # fmt: skip
    (fleet / PKG).unlink()
    commit(fleet, "the macOS installer lives in the artifact store")
    async with harness(fleet, tmp_path) as h:
        result = await h.run()
        assert result.report("7zip-24.08").errors == ()
        assert installer in uploads(h)
    assert http_store.ranges == [None, "bytes=300-"]
    cached = tmp_path / "cache" / "sha256" / hashlib.sha256(installer).hexdigest()
    assert cached.read_bytes() == installer


async def test_a_wrong_remote_installer_is_never_uploaded(
    fleet: Path, tmp_path: Path, http_store: HttpStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EUCORA_PACKAGE_CACHE", str(tmp_path / "cache"))
    installer = (fleet / PKG).read_bytes()
    http_store.files["mac/7zip-24.08.pkg"] = installer[:-1] + b"!"  # swapped in the store
    path = fleet / INTENT
    path.write_text(path.read_text().replace(f"file: {PKG}", "file: "
                                             + http_store.url("mac/7zip-24.08.pkg")))  # fmt: skip
    commit(fleet, "the macOS installer lives in the artifact store")
    async with harness(fleet, tmp_path) as h:
        result = await h.run()
        [error] = [e for e in result.report("7zip-24.08").errors if "upload" in e]
        assert "PackageInvalid" in error and "has sha256" in error
        assert uploads(h) == []


async def test_evidence_that_no_longer_matches_stops_the_upload(
    fleet: Path, tmp_path: Path
) -> None:
    report = fleet / "evidence" / "grype.json"
    report.parent.mkdir()
    report.write_text(
        json.dumps(
            {
                "matches": [
                    {
                        "vulnerability": {"id": "CVE-1", "severity": "High"},
                        "artifact": {"name": "7zz"},
                    }
                ]
            }
        )
    )
    sha = hashlib.sha256(report.read_bytes()).hexdigest()
    path = fleet / INTENT
    text = path.read_text()
    old = "scan: {scanner: grype, date: 2026-11-18, critical: 0, high: 1, medium: 3}"
    assert old in text
    path.write_text(text.replace(old, "scan: {scanner: grype, date: 2026-11-18, critical: 0, "
                                 f"high: 1, file: evidence/grype.json, sha256: {sha}}}"))  # fmt: skip
    report.write_text(json.dumps({"matches": []}))  # the report committed is not the one hashed
    commit(fleet, "scan report")
    async with harness(fleet, tmp_path) as h:
        result = await h.run()
        errors = [e for e in result.report("7zip-24.08").errors if "upload" in e]
        assert errors and all("evidence of 7zip-24.08 no longer matches" in e for e in errors)
        assert "/spec/evidence/scan/high" in errors[0]
        assert uploads(h) == []
