"""``eucora intent new``: an intent scaffolded from an installer, an SBOM and a scan."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.domain.errors import PackageError
from reconciler.packages import inspect_installer, read_scan
from tests.conftest import EXAMPLE_REPO
from tests.packages.installers import (
    DISTRIBUTION,
    bsdtar_xar,
    intunewin,
    package_info,
    xar,
)

runner = CliRunner()
PRODUCT_CODE = "{23170F69-40C1-2702-2408-000001000000}"
SBOM: dict[str, Any] = {
    "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
    "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
    "metadata": {"component": {"type": "application", "name": "7-Zip", "version": "24.08"}},
    "components": [
        {"type": "library", "name": "lzma", "version": "24.08", "bom-ref": "lzma",
         "components": [{"type": "library", "name": "bcj2", "version": "1", "bom-ref": "b"}]},
        {"type": "library", "name": "zstd", "version": "1.5.6", "bom-ref": "zstd"},
    ],
}  # fmt: skip
GRYPE = {
    "matches": [
        {"vulnerability": {"id": "CVE-2026-1", "severity": "Critical"}, "artifact": {"name": "a"}},
        {"vulnerability": {"id": "CVE-2026-2", "severity": "High"}, "artifact": {"name": "a"}},
        {"vulnerability": {"id": "CVE-2026-2", "severity": "High"}, "artifact": {"name": "b"}},
        {"vulnerability": {"id": "CVE-2026-3", "severity": "Medium"}, "artifact": {"name": "a"}},
        {"vulnerability": {"id": "CVE-2026-4", "severity": "Negligible"}, "artifact": {"name": "a"}},
    ],
    "descriptor": {"name": "grype", "version": "0.80.0", "timestamp": "2026-11-20T08:00:00Z"},
}  # fmt: skip
TRIVY = {
    "SchemaVersion": 2, "CreatedAt": "2026-11-21T09:30:00.1+00:00", "ArtifactName": "7zip.pkg",
    "Results": [
        {"Target": "7zz", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "Severity": "HIGH"},
                                              {"VulnerabilityID": "CVE-2", "Severity": "LOW"}]},
        {"Target": "libs", "Vulnerabilities": [{"VulnerabilityID": "CVE-3", "Severity": "LOW"}]},
        {"Target": "clean"},
    ],
}  # fmt: skip
VEX = {
    **SBOM,
    "metadata": {"timestamp": "2026-11-22T10:00:00Z"},
    "vulnerabilities": [
        {"id": "CVE-2026-7", "bom-ref": "v7", "ratings": [{"severity": "high"}],
         "affects": [{"ref": "zstd"}]},
        {"id": "CVE-2026-8", "bom-ref": "v8", "ratings": [{"severity": "critical"}],
         "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
         "affects": [{"ref": "zstd"}]},
        {"id": "CVE-2026-9", "bom-ref": "v9", "ratings": [{"severity": "low"}, {"severity": "medium"}],
         "analysis": {"state": "exploitable"}, "affects": [{"ref": "lzma"}]},
    ],
}  # fmt: skip


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    target = tmp_path / "fleet"
    shutil.copytree(EXAMPLE_REPO, target)
    return target


def write_json(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


def fill_todos(path: Path) -> None:
    """What a person fills in after the scaffold."""
    text = path.read_text()
    for todo, value in (("requester", "dana.lee@contoso.example"), ("blastRadius", "NON_CRITICAL"),
                        ("targetUsers", "900"), ("until", "pilot")):  # fmt: skip
        start = text.index(f"{todo}: ") + len(todo) + 2
        text = text[:start] + value + text[text.index("\n", start) :]
    # a .pkg names no publisher: a TODO validate reports (todo-value) until it is filled
    text = re.sub(r"publisher: '?TODO:[^\n]*", "publisher: Igor Pavlov", text)
    path.write_text(text)


def new(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["intent", "new", *args, "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


def test_an_intunewin_gives_its_setup_file_msi_product_code_and_version(tmp_path: Path) -> None:
    facts = inspect_installer(intunewin(tmp_path / "7z.intunewin"))
    assert (facts.name, facts.setup_file) == ("7z2408-x64.msi", "7z2408-x64.msi")
    assert (facts.msi_product_code, facts.version) == (PRODUCT_CODE, "24.08.00.0")
    assert (facts.publisher, facts.machine_install) == ("Igor Pavlov", True)
    data = (tmp_path / "7z.intunewin").read_bytes()
    assert (facts.sha256, facts.size) == (hashlib.sha256(data).hexdigest(), len(data))


def test_the_example_intunewin_is_read_too() -> None:
    facts = inspect_installer(EXAMPLE_REPO / "packages/windows/7z2408-x64.intunewin")
    assert facts.setup_file == "7z2408-x64.msi" and facts.msi_product_code == ""


@pytest.mark.parametrize("maker", [xar, bsdtar_xar], ids=["xar-format", "bsdtar"])
def test_a_flat_package_gives_its_identifier_version_and_bundle(tmp_path: Path, maker: Any) -> None:
    path = maker(tmp_path / "7zip.pkg", {"PackageInfo": package_info().encode(),
                                         "Payload": b"payload"})  # fmt: skip
    if path is None:
        pytest.skip("bsdtar (libarchive-tools) is not installed")
    facts = inspect_installer(path)
    assert (facts.identifier, facts.version, facts.bundle_id) == (
        "org.7-zip.7zz.pkg", "24.08", "org.7-zip.7zz",
    )  # fmt: skip
    assert facts.name == "7-Zip" and not facts.reboot_required


@pytest.mark.parametrize("maker", [xar, bsdtar_xar], ids=["xar-format", "bsdtar"])
def test_a_product_archive_gives_its_title_and_main_component(tmp_path: Path, maker: Any) -> None:
    files = {
        "Distribution": DISTRIBUTION.format(title="Zoom Workplace", identifier="us.zoom.pkg",
                                            version="6.2.10").encode(),
        "aaa.pkg/PackageInfo": package_info("us.zoom.helper", "1.0", "us.zoom.helper",
                                            "Helper").encode(),
        "core.pkg/PackageInfo": package_info("us.zoom.pkg", "6.2.10", "us.zoom.xos", "zoom.us",
                                             action="restart").encode(),
    }  # fmt: skip
    path = maker(tmp_path / "zoom.pkg", files)
    if path is None:
        pytest.skip("bsdtar (libarchive-tools) is not installed")
    facts = inspect_installer(path)
    assert (facts.name, facts.identifier, facts.version) == ("Zoom Workplace", "us.zoom.pkg",
                                                             "6.2.10")  # fmt: skip
    assert facts.bundle_id == "us.zoom.xos" and facts.reboot_required
    assert set(facts.components) == {"us.zoom.helper", "us.zoom.pkg"}


def test_a_damaged_package_is_refused(tmp_path: Path) -> None:
    path = xar(tmp_path / "a.pkg", {"PackageInfo": package_info().encode()})
    data = bytearray(path.read_bytes())
    data[40] ^= 0xFF  # inside the compressed table of contents
    path.write_bytes(bytes(data))
    with pytest.raises(PackageError, match=r"a\.pkg"):
        inspect_installer(path)
    with pytest.raises(PackageError, match="unreadable xar table of contents"):
        inspect_installer(EXAMPLE_REPO / "packages/macos/7zip-24.08.pkg")  # a placeholder


@pytest.mark.parametrize(
    ("document", "scanner", "counts", "day"),
    [
        (GRYPE, "grype", (1, 2, 1, 0), "2026-11-20"),
        (TRIVY, "trivy", (0, 1, 0, 2), "2026-11-21"),
        (VEX, "cyclonedx-vex", (0, 1, 1, 0), "2026-11-22"),
    ],
)
def test_scan_reports_are_counted_by_severity(
    tmp_path: Path, document: Any, scanner: str, counts: tuple[int, ...], day: str
) -> None:
    summary = read_scan(write_json(tmp_path / "scan.json", document))
    assert summary.scanner == scanner
    assert tuple(summary.counts.values()) == counts
    assert str(summary.date) == day


def test_intent_new_scaffolds_an_intent_that_validates_once_its_todos_are_filled(
    fleet: Path,
) -> None:
    installer = intunewin(fleet / "packages/windows/7z2409-x64.intunewin")
    sbom = write_json(fleet / "evidence/7zip/sbom.cdx.json", SBOM)
    scan = write_json(fleet / "evidence/7zip/grype.json", GRYPE)
    out = fleet / "intents/7zip-24.09.yaml"
    code, result = new(str(installer), "--sbom", str(sbom), "--scan", str(scan), "--repo",
                       str(fleet), "--name", "7zip-24.09", "--out", str(out))  # fmt: skip
    assert code == 0, result
    spec = result["intent"]["spec"]
    windows = spec["packages"]["windows"]
    assert windows["file"] == "packages/windows/7z2409-x64.intunewin"
    assert windows["sha256"] == hashlib.sha256(installer.read_bytes()).hexdigest()
    assert windows["detection"] == {"type": "msiProductCode", "productCode": PRODUCT_CODE,
                                    "productVersion": "24.08.00.0"}  # fmt: skip
    assert windows["uninstallCommand"] == f'msiexec /x "{PRODUCT_CODE}" /qn'
    assert spec["evidence"]["sbom"] == {
        "format": "cyclonedx", "sha256": hashlib.sha256(sbom.read_bytes()).hexdigest(),
        "components": 3, "file": "evidence/7zip/sbom.cdx.json",
    }  # fmt: skip
    assert spec["evidence"]["scan"] | {"sha256": "-"} == {
        "scanner": "grype", "date": "2026-11-20", "critical": 1, "high": 2, "medium": 1,
        "low": 0, "sha256": "-", "file": "evidence/7zip/grype.json",
    }  # fmt: skip
    assert spec["privileged"] is True  # an MSI that installs as System
    assert set(result["todo"]) == {"/spec/requester", "/spec/blastRadius", "/spec/targetUsers",
                                   "/spec/rollout/until"}  # fmt: skip
    assert yaml.safe_load(out.read_text()) == result["intent"]
    validated = runner.invoke(app, ["validate", str(fleet), "--format", "json"])
    paths = {f["path"] for f in json.loads(validated.stdout)["findings"]}
    assert validated.exit_code == 1 and set(result["todo"]) <= paths  # TODOs are flagged
    fill_todos(out)
    validated = runner.invoke(app, ["validate", str(fleet), "--format", "json"])
    assert json.loads(validated.stdout)["findings"] == [] and validated.exit_code == 0


def test_evidence_changed_after_the_scaffold_is_a_finding(fleet: Path) -> None:
    installer = xar(fleet / "packages/macos/7zip-24.09.pkg",
                    {"PackageInfo": package_info(version="24.09").encode()})  # fmt: skip
    scan = write_json(fleet / "evidence/trivy.json", TRIVY)
    code, result = new(str(installer), "--scan", str(scan), "--repo", str(fleet),
                       "--out", str(fleet / "intents/new.yaml"))  # fmt: skip
    assert code == 0 and result["intent"]["metadata"]["name"] == "7-zip-24.09"
    assert result["intent"]["spec"]["packages"]["macos"]["bundleId"] == "org.7-zip.7zz"
    fill_todos(fleet / "intents/new.yaml")
    validated = runner.invoke(app, ["validate", str(fleet), "--format", "json"])
    assert json.loads(validated.stdout)["findings"] == []
    write_json(scan, {**TRIVY, "Results": []})  # the report no longer shows the findings
    validated = runner.invoke(app, ["validate", str(fleet), "--format", "json"])
    evidence = [f for f in json.loads(validated.stdout)["findings"]
                if f["code"] == "evidence-mismatch"]  # fmt: skip
    assert {f["path"] for f in evidence} == {"/spec/evidence/scan/sha256",
                                              "/spec/evidence/scan/high",
                                              "/spec/evidence/scan/low"}  # fmt: skip


def test_an_installer_outside_the_repo_gets_a_hint_or_the_url_given(tmp_path: Path) -> None:
    installer = intunewin(tmp_path / "setup.intunewin", "setup.exe", msi=False)
    code, result = new(str(installer), "--repo", str(tmp_path / "fleet"))
    assert code == 0
    windows = result["intent"]["spec"]["packages"]["windows"]
    assert windows["file"] == "packages/windows/setup.intunewin"
    assert "outside the repo" in result["warnings"][0]
    assert windows["installCommand"].startswith("TODO:")
    url = "s3://installers/win/setup.intunewin"
    code, result = new(str(installer), "--file", url)
    assert result["intent"]["spec"]["packages"]["windows"]["file"] == url


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["absent.intunewin"], 2, "no such file"),
        (["{pkg}", "--sbom", "absent.json"], 2, "no such file"),
        (["{pkg}", "--file", "ftp://mirror/x.pkg"], 2, "not a package source"),
        (["{txt}"], 1, "not an installer intent new can read"),
        (["{pkg}", "--sbom", "{txt}"], 1, "not JSON"),
        (["{pkg}", "--scan", "{sbom}"], 1, "not a grype JSON report"),
        (["{pkg}", "--out", "{txt}"], 2, "exists; pass --force"),
    ],
)
def test_bad_input_is_a_clear_error_with_its_exit_code(
    tmp_path: Path, args: list[str], code: int, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    names = {
        "pkg": str(xar(tmp_path / "a.pkg", {"PackageInfo": package_info().encode()})),
        "txt": str(write_json(tmp_path / "notes.txt", "x").with_suffix(".txt")),
        "sbom": str(write_json(tmp_path / "sbom.json", {"bomFormat": "Other"})),
    }
    (tmp_path / "notes.txt").write_text("not json {")
    result = runner.invoke(app, ["intent", "new", *[a.format(**names) for a in args],
                                 "--format", "json"])  # fmt: skip
    assert result.exit_code == code
    error = json.loads(result.stdout)["error"]
    assert message in error["message"]
