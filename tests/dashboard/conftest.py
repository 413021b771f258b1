"""The dashboard against the demo fleet: the demo's state store (built once per test
session), ``eucora dashboard`` serving it on 127.0.0.1, and the system's Chromium driven
by Playwright.

Chromium comes from the distribution (``apt-get install chromium``); Playwright's own
browser download is not used. Without Chromium the browser tests skip, except in CI
(``CI=true``), where they fail: a skipped browser test must not pass a build.
Screenshots go to ``test-artifacts/dashboard/`` (or ``$EUCORA_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.engine import REPORT_META, StateStore
from tests.conftest import ROOT

ARTIFACTS = Path(os.environ.get("EUCORA_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "dashboard"
#: names and app names a hostile repo or tenant could send; they must render as text
HOSTILE_NAME = "<script>alert('name')</script>"
HOSTILE_APP = '<img src=x onerror="alert(1)">'
EUCORA = [sys.executable, "-c", "from reconciler.cli import main; main()"]


@pytest.fixture(scope="session")
def demo_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The state store and audit log ``eucora demo`` leaves behind."""
    root = tmp_path_factory.mktemp("demo") / "run"
    # a process of its own: Playwright's sync API holds this thread's event loop
    subprocess.run([*EUCORA, "demo", "--dir", str(root), "--format", "json"], check=True,
                   stdout=subprocess.DEVNULL, timeout=300)  # fmt: skip
    return root / ".eucora" / "state.db"


@pytest.fixture(scope="session")
def hostile_state(demo_state: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's state with one intent renamed to markup and its app name an HTML tag."""
    root = tmp_path_factory.mktemp("hostile")
    target = root / "state.db"
    shutil.copy(demo_state, target)
    store = StateStore(target)
    document = json.loads(store.meta(REPORT_META) or "{}")
    victim = next(i for i in document["intents"] if i["name"] == "chrome-131.0.6778")
    victim["name"], victim["app"] = HOSTILE_NAME, HOSTILE_APP
    victim["reason"] = "<b>bold</b> & <i>italic</i>"
    store.set_meta(REPORT_META, json.dumps(document))
    store.close()
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    def __init__(self, url: str, process: subprocess.Popen[bytes]) -> None:
        self.url, self.process = url, process

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kwargs)


def serve_dashboard(state: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    """``eucora dashboard --state STATE`` as a process, once it answers /healthz."""
    port = free_port()
    command = [*EUCORA, "dashboard", "--state", str(state), "--port", str(port), *args]
    process = subprocess.Popen(
        command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dashboard exited: {process.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return Served(url, process)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the dashboard did not start within 30 s")


@pytest.fixture(scope="session")
def dashboard(demo_state: Path) -> Iterator[Served]:
    served = serve_dashboard(demo_state)
    yield served
    served.process.terminate()
    served.process.wait(10)


def chromium_path() -> str | None:
    for candidate in (os.environ.get("EUCORA_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


def require_chromium(path: str | None, *, ci: bool) -> str:
    """The browser to drive; without one a test fails in CI and skips elsewhere."""
    if path is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if ci:
            pytest.fail(message + "; CI must run the browser tests")
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module: Playwright's sync API runs an event loop in this thread while it is
    open, which other modules' asyncio tests cannot share."""
    path = require_chromium(chromium_path(), ci=os.environ.get("CI") == "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path)
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.dialogs = dialogs
    yield opened
    context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a page, not a blank
    return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests over the demo's state pay for one ``eucora demo`` run (three providers'
    tenants, about 20 passes) in their setup: a longer hang guard than the suite's 120 s."""
    for item in items:
        if "demo_state" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(600))
