"""OPA's own Go engine for the policy tests, from the ``opa-golib-python-bindings`` wheel.

The wheel embeds OPA (a Go c-shared library behind ctypes). Its metadata asks for
Python >= 3.14 although the package is ``py3-none`` and loads on 3.11, so it cannot be a
pip dependency of this project; :func:`opa_bindings` fetches the pinned wheel with pip
(``pip download --python-version 3.14 --only-binary=:all:``) into a cache directory,
checks its SHA-256 and unzips it there. Nothing is skipped: when the wheel cannot be
obtained the caller gets an error that says why.

``EUCORA_OPA_WHEEL_CACHE`` overrides the cache directory (default ``~/.cache/eucora``).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from reconciler.domain.ports import PolicyDecision
from reconciler.policy import PolicySet
from reconciler.policy._decision import fail_closed, parse_decision
from reconciler.policy._policyset import DECISIONS

PACKAGE = "opa-golib-python-bindings"
VERSION = "0.4.4"
WHEEL = "opa_golib_python_bindings-0.4.4-py3-none-manylinux_2_34_x86_64.whl"
SHA256 = "d411c901e14b8c7c3023e23e4a944f4cf429c1d31baf80e959e57d11efbfd24a"


class OpaUnavailableError(RuntimeError):
    """The pinned wheel could not be fetched, verified or loaded."""


def cache_dir() -> Path:
    root = os.environ.get("EUCORA_OPA_WHEEL_CACHE") or Path.home() / ".cache" / "eucora"
    return Path(root) / f"opa-golib-{VERSION}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pip() -> list[str]:
    """pip of this interpreter, else one on PATH (a uv-made venv has no pip of its own)."""
    probe = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, check=False
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "pip"]
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            return [found]
    raise OpaUnavailableError(f"no pip to download {PACKAGE}=={VERSION} with")


def _download(target: Path) -> Path:
    wheel = target / WHEEL
    if wheel.is_file() and _sha256(wheel) == SHA256:
        return wheel
    target.mkdir(parents=True, exist_ok=True)
    # each test worker downloads into its own directory; the verified wheel is then
    # moved into place atomically
    staging = Path(tempfile.mkdtemp(dir=target, prefix="download."))
    command = [
        *_pip(),
        "download",
        "--no-deps",
        "--python-version",
        "3.14",
        "--only-binary=:all:",
        "--platform",
        "manylinux_2_34_x86_64",
        "--dest",
        str(staging),
        f"{PACKAGE}=={VERSION}",
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
        fetched = staging / WHEEL
        if result.returncode != 0 or not fetched.is_file():
            raise OpaUnavailableError(
                f"pip download of {PACKAGE}=={VERSION} failed ({result.returncode}): "
                f"{result.stderr.strip()[-500:]}"
            )
        digest = _sha256(fetched)
        if digest != SHA256:
            raise OpaUnavailableError(f"{WHEEL} has sha256 {digest}, pinned {SHA256}")
        fetched.replace(wheel)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return wheel


def opa_bindings() -> ModuleType:
    """The ``opa_bindings`` module of the pinned, verified wheel."""
    target = cache_dir()
    unpacked = target / "site"
    if not (unpacked / "opa_bindings" / "libopabridge.so").is_file():
        wheel = _download(target)
        staging = Path(tempfile.mkdtemp(dir=target, prefix="site."))
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(staging)
        try:
            staging.rename(unpacked)
        except OSError:  # another worker unpacked it first
            shutil.rmtree(staging, ignore_errors=True)
    if str(unpacked) not in sys.path:
        sys.path.insert(0, str(unpacked))
    try:
        return importlib.import_module("opa_bindings")
    except (ImportError, OSError) as exc:
        raise OpaUnavailableError(f"opa_bindings from {unpacked} does not load: {exc}") from exc


class GoOpaEngine:
    """A PolicyEngine on OPA's Go engine (in-process), for comparing with the embedded one."""

    name = "opa-go"

    def __init__(self, policies: PolicySet) -> None:
        bindings = opa_bindings()
        self._error_type: Any = bindings.OpaError
        self._engine = bindings.OpaEngine()
        self.compile_error: str | None = None
        try:
            for module in policies.modules:
                self._engine.add_policy(module.path, module.text)
            # OPA compiles lazily: evaluate once so a parse error surfaces here
            self._engine.eval_document("eucora.admission.decision", {})
        except self._error_type as exc:
            self.compile_error = str(exc)

    def decide(self, package: str, input_document: Mapping[str, Any]) -> PolicyDecision:
        if package not in DECISIONS:
            return fail_closed(f"unknown policy decision {package!r}")
        if self.compile_error:
            return fail_closed(f"policies do not compile: {self.compile_error}")
        try:
            value = self._engine.eval_document(f"eucora.{package}.decision", dict(input_document))
        except self._error_type as exc:
            return fail_closed(f"policy evaluation failed: {exc}")
        return parse_decision(value, package)

    def close(self) -> None:
        self._engine.close()
