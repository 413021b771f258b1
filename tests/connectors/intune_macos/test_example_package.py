"""The example repo's Intune for macOS installer is a real flat package: bsdtar (libarchive,
which reads xar) lists and extracts it, its PackageInfo and app bundle name what the intent
declares, and tools/flat_pkg.py rebuilds it byte for byte."""

from __future__ import annotations

import hashlib
import importlib.util
import plistlib
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import EXAMPLE_REPO
from tests.connectors.contract.provider import REPO

ROOT = Path(__file__).resolve().parents[3]
INTENT = "rectangle-0.85"
BSDTAR = shutil.which("bsdtar")


def _bsdtar(*args: str, cwd: Path | None = None) -> bytes:
    assert BSDTAR is not None
    return subprocess.run([BSDTAR, *args], capture_output=True, check=True, cwd=cwd).stdout


@pytest.mark.skipif(BSDTAR is None, reason="bsdtar is not installed")
def test_the_example_pkg_is_a_flat_package_of_what_the_intent_declares(tmp_path: Path) -> None:
    intent = REPO.intents[INTENT]
    assert intent.macos is not None
    pkg = EXAMPLE_REPO / intent.macos.file
    data = pkg.read_bytes()
    assert hashlib.sha256(data).hexdigest() == intent.macos.sha256
    assert len(data) == intent.macos.size_bytes
    listed = _bsdtar("-tf", str(pkg)).decode().split()
    assert {"Distribution", "Rectangle.pkg/PackageInfo", "Rectangle.pkg/Payload"} <= set(listed)
    _bsdtar("-xf", str(pkg), cwd=tmp_path)
    info = ElementTree.parse(tmp_path / "Rectangle.pkg/PackageInfo").getroot()  # noqa: S314
    bundle = info.find("bundle")
    assert bundle is not None and bundle.get("id") == intent.macos.bundle_id
    assert bundle.get("CFBundleShortVersionString") == intent.app.version
    plist = plistlib.loads(
        _bsdtar(
            "-xOf", str(tmp_path / "Rectangle.pkg/Payload"), "./Rectangle.app/Contents/Info.plist"
        )
    )
    assert plist["CFBundleIdentifier"] == intent.macos.bundle_id
    assert plist["LSMinimumSystemVersion"] == intent.macos.minimum_os_version


def test_the_builder_reproduces_the_example_pkg() -> None:
    spec = importlib.util.spec_from_file_location("flat_pkg", ROOT / "tools/flat_pkg.py")
    assert spec is not None and spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    intent = REPO.intents[INTENT]
    assert intent.macos is not None
    built = builder.build("Rectangle", intent.macos.bundle_id, intent.app.version, "10.15")
    assert built == (EXAMPLE_REPO / intent.macos.file).read_bytes()
