"""Package mistakes are findings before merge: missing file, wrong sha256 or size, case, LFS."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.domain.documents.loader import load_repo
from tests.journey.conftest import edit

runner = CliRunner()
INTENT = "intents/7zip-24.08.yaml"
WINDOWS = "packages/windows/7z2408-x64.intunewin"


def _findings(fleet: Path) -> list[dict[str, object]]:
    result = runner.invoke(app, ["validate", str(fleet), "--format", "json"])
    document = json.loads(result.stdout)
    assert result.exit_code == (0 if document["ok"] else 1)
    return list(document["findings"])


def _sha(fleet: Path, rel: str) -> str:
    return hashlib.sha256((fleet / rel).read_bytes()).hexdigest()


def test_the_example_packages_all_match(fleet: Path) -> None:
    assert _findings(fleet) == []


def test_a_missing_package_file_is_a_finding_on_its_line(fleet: Path) -> None:
    (fleet / WINDOWS).unlink()
    [finding] = _findings(fleet)
    assert finding["code"] == "package-missing" and finding["line"] == 19
    assert finding["path"] == "/spec/packages/windows/file"


def test_a_case_mismatch_names_the_file_that_exists(fleet: Path) -> None:
    edit(fleet / INTENT, "7z2408-x64.intunewin", "7z2408-X64.intunewin")
    [finding] = _findings(fleet)
    assert finding["code"] == "package-missing"
    assert f"did you mean '{WINDOWS}'" in str(finding["message"])


def test_a_wrong_sha256_names_both_hashes(fleet: Path) -> None:
    real = _sha(fleet, WINDOWS)
    wrong = "0" * 64
    edit(fleet / INTENT, real, wrong)
    [finding] = _findings(fleet)
    assert finding["code"] == "package-sha256-mismatch" and finding["line"] == 20
    assert real in str(finding["message"]) and wrong in str(finding["message"])


def test_a_changed_installer_is_caught_by_its_hash(fleet: Path) -> None:
    path = fleet / WINDOWS
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # same size, different content
    path.write_bytes(bytes(data))
    assert [f["code"] for f in _findings(fleet)] == ["package-sha256-mismatch"]


def test_a_wrong_size_says_it_is_the_files_own_size(fleet: Path) -> None:
    edit(fleet / INTENT, "sizeBytes: 2377", "sizeBytes: 2400")
    [finding] = _findings(fleet)
    assert finding["code"] == "package-size-mismatch"
    assert "2377 bytes" in str(finding["message"]) and "the file itself" in str(finding["message"])


def test_upper_case_hex_names_the_form_and_the_fix(fleet: Path) -> None:
    real = _sha(fleet, WINDOWS)
    edit(fleet / INTENT, real, real.upper())
    [finding] = _findings(fleet)
    message = str(finding["message"])
    assert finding["code"] == "invalid-format"
    assert "64 lower-case hex digits" in message and "upper-case" in message
    assert repr(real) in message


def test_a_short_hash_names_the_form_and_its_length(fleet: Path) -> None:
    real = _sha(fleet, WINDOWS)
    edit(fleet / INTENT, real, real[:40])
    [finding] = _findings(fleet)
    assert "64 lower-case hex digits" in str(finding["message"])
    assert "got 40 characters" in str(finding["message"])


def test_backslashes_get_a_forward_slash_hint(fleet: Path) -> None:
    edit(fleet / INTENT, f"file: {WINDOWS}", "file: packages\\windows\\7z2408-x64.intunewin")
    [finding] = _findings(fleet)
    assert finding["code"] == "path-escape"
    assert f"use forward slashes ('{WINDOWS}')" in str(finding["message"])


def test_an_lfs_pointer_is_recognised_and_its_oid_checked(fleet: Path) -> None:
    path = fleet / WINDOWS
    real, size = _sha(fleet, WINDOWS), path.stat().st_size
    path.write_text(f"version https://git-lfs.github.com/spec/v1\noid sha256:{real}\nsize {size}\n")
    [finding] = _findings(fleet)
    assert finding["code"] == "package-lfs-pointer" and finding["severity"] == "warning"
    assert "git lfs pull" in str(finding["message"])
    # a pointer to another object is a mismatch like any other
    path.write_text(f"version https://git-lfs.github.com/spec/v1\noid sha256:{'a' * 64}\nsize 9\n")
    codes = {str(f["code"]) for f in _findings(fleet)}
    assert codes == {"package-lfs-pointer", "package-sha256-mismatch", "package-size-mismatch"}


def test_passes_do_not_read_packages_unless_asked(fleet: Path) -> None:
    (fleet / WINDOWS).unlink()
    assert load_repo(fleet).ok
    assert not load_repo(fleet, check_packages=True).ok


def test_github_format_annotates_package_findings(fleet: Path) -> None:
    (fleet / WINDOWS).unlink()
    result = runner.invoke(app, ["validate", str(fleet), "-f", "github"])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"::error file={INTENT},line=19,col=13,title=package-missing::")
