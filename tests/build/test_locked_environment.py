"""The build is locked: what runs is what `uv.lock` pins, and the code declares what it imports.

These checks run the real locker (uv, bootstrapped by `make` into `.tools` from
`tools/uv-requirements.txt`) against the project's own files, so a stale lock, an undeclared
import or a module that only imports because a dev tool happened to bring its dependency fails
the suite instead of a user's install.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "reconciler"


def _uv() -> str:
    bundled = ROOT / ".tools" / "bin" / "uv"
    found = str(bundled) if bundled.exists() else shutil.which("uv")
    if found is None:
        pytest.fail("uv is missing: run `make test` (it bootstraps .tools/bin/uv)")
    return found


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(extra: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return {_normalize(re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]) for spec in specs}


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level names each module of the package imports that are neither stdlib nor ours."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top != "reconciler" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_lock_matches_pyproject() -> None:
    result = subprocess.run(
        [_uv(), "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, f"uv.lock is stale, run `make lock`:\n{result.stderr}"


def test_the_environment_is_exactly_the_lock() -> None:
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": sys.prefix}
    result = subprocess.run(
        [_uv(), "sync", "--locked", "--extra", "dev", "--check", "--offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, f"installed packages differ from uv.lock:\n{result.stderr}"


def test_every_third_party_import_is_a_declared_runtime_dependency() -> None:
    owners = importlib.metadata.packages_distributions()
    declared = _declared()
    undeclared = {
        name: sorted(files)
        for name, files in _third_party_imports().items()
        if not {_normalize(d) for d in owners.get(name, [name])} & declared
    }
    assert not undeclared, f"imported but not in [project].dependencies: {undeclared}"


def test_libraries_imported_only_indirectly_are_declared_where_they_matter() -> None:
    # httpcore looks sniffio up on every lock acquisition and retries the import each time it
    # is missing; anyio stopped depending on it, so nothing brings it unless we declare it
    assert "sniffio" in _declared()


@pytest.mark.slow
def test_every_module_imports_in_a_fresh_runtime_environment_built_from_the_lock(
    tmp_path: Path,
) -> None:
    uv = _uv()
    requirements = tmp_path / "requirements.txt"
    subprocess.run(
        [uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--quiet",
         "--output-file", str(requirements)],
        cwd=ROOT,
        check=True,
    )  # fmt: skip
    venv = tmp_path / "runtime"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--require-hashes", "--python", str(python),
         "-r", str(requirements)],
        check=True,
    )  # fmt: skip
    script = (
        "import importlib, pkgutil, reconciler, sniffio\n"
        "names = [m.name for m in pkgutil.walk_packages(reconciler.__path__, 'reconciler.')\n"
        "         if not m.name.endswith('.__main__')]  # __main__ runs the CLI\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(len(names))\n"
    )
    result = subprocess.run(
        [str(python), "-c", script],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 50  # every module, not an empty walk


def test_the_operator_image_installs_from_the_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r tools/uv-requirements.txt" in dockerfile
    assert re.search(r"uv sync --locked --no-dev --no-editable", dockerfile)
    installs = re.findall(r"pip install[^\n]*", dockerfile)
    assert all("--require-hashes" in line for line in installs), installs
