"""Remote package references in the fleet repo: parsed, pinned, checked by ``validate``."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.domain.documents.package_source import InvalidLocation, SourceKind, package_location
from tests.conftest import EXAMPLE_REPO
from tests.packages.conftest import HttpStore

runner = CliRunner()
INTENT = "intents/7zip-24.08.yaml"
LOCAL = "packages/macos/7zip-24.08.pkg"
PKG = (EXAMPLE_REPO / LOCAL).read_bytes()


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "fleet"
    shutil.copytree(EXAMPLE_REPO, target)
    monkeypatch.setenv("EUCORA_PACKAGE_CACHE", str(tmp_path / "cache"))
    return target


def point_at(fleet: Path, url: str, size: int | None = len(PKG)) -> None:
    path = fleet / INTENT
    text = (EXAMPLE_REPO / INTENT).read_text().replace(f"file: {LOCAL}", f"file: {url}")
    if size is None:
        text = text.replace("      sizeBytes: 620\n", "")
    else:
        text = text.replace("sizeBytes: 620", f"sizeBytes: {size}")
    path.write_text(text)


def findings(fleet: Path, *options: str) -> tuple[int, list[dict[str, object]]]:
    result = runner.invoke(app, ["validate", str(fleet), "--format", "json", *options])
    return result.exit_code, json.loads(result.stdout)["findings"]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://artifacts.contoso.example/mac/7zip.pkg", SourceKind.HTTPS),
        ("s3://installers/mac/7zip.pkg", SourceKind.S3),
        ("az://installers/mac/7zip.pkg", SourceKind.AZURE),
        ("packages/macos/7zip.pkg", SourceKind.REPO),
    ],
)
def test_package_references_name_their_source(url: str, kind: SourceKind) -> None:
    assert package_location(url).kind is kind


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://mirror.example/7zip.pkg", "scheme 'ftp' is not a package source"),
        ("http://mirror.example/7zip.pkg", "plain http"),
        ("https://user:pw@mirror.example/7zip.pkg", "credentials in the URL"),
        ("https://acct.blob.core.windows.net/c/7zip.pkg?sv=1&sig=abc", "signed URL"),
        ("s3://installers/", "must name a bucket and an object"),
    ],
)
def test_unusable_references_say_why(url: str, why: str) -> None:
    with pytest.raises(InvalidLocation, match=why):
        package_location(url)


def test_a_remote_package_without_its_pins_is_a_finding_on_its_field(fleet: Path) -> None:
    point_at(fleet, "https://artifacts.contoso.example/mac/7zip.pkg", size=None)
    code, found = findings(fleet, "--remote-packages", "off")
    assert code == 1
    [finding] = found
    assert finding["code"] == "package-unpinned"
    assert finding["path"] == "/spec/packages/macos/file"
    assert "must declare sizeBytes" in str(finding["message"])


def test_a_signed_url_in_the_repo_is_refused(fleet: Path) -> None:
    point_at(fleet, "https://acct.blob.core.windows.net/c/7zip.pkg?sig=secret")
    code, [finding] = findings(fleet, "--remote-packages", "off")
    assert (code, finding["code"]) == (1, "package-source-invalid")


def test_validate_checks_a_remote_size_without_downloading(
    fleet: Path, http_store: HttpStore
) -> None:
    http_store.files["mac/7zip.pkg"] = PKG
    point_at(fleet, http_store.url("mac/7zip.pkg"))
    assert findings(fleet) == (0, [])
    assert http_store.ranges == []  # HEAD only: nothing downloaded
    point_at(fleet, http_store.url("mac/7zip.pkg"), size=621)
    code, [finding] = findings(fleet)
    assert (code, finding["code"], finding["path"]) == (
        1, "package-size-mismatch", "/spec/packages/macos/sizeBytes",
    )  # fmt: skip


def test_validate_download_checks_the_hash(fleet: Path, http_store: HttpStore) -> None:
    http_store.files["mac/7zip.pkg"] = PKG[:-1] + b"X"  # same size, other content
    point_at(fleet, http_store.url("mac/7zip.pkg"))
    assert findings(fleet) == (0, [])
    code, [finding] = findings(fleet, "--remote-packages", "download")
    assert code == 1 and finding["code"] == "package-missing"
    assert hashlib.sha256(PKG).hexdigest() in str(finding["message"])


def test_a_missing_remote_object_is_an_error_an_unreachable_store_a_warning(
    fleet: Path, http_store: HttpStore
) -> None:
    point_at(fleet, http_store.url("mac/absent.pkg"))
    code, [finding] = findings(fleet)
    assert (code, finding["code"], finding["severity"]) == (1, "package-missing", "error")
    point_at(fleet, "http://127.0.0.1:9/mac/7zip.pkg")
    code, [finding] = findings(fleet)
    assert (code, finding["code"], finding["severity"]) == (0, "package-unreachable", "warning")
