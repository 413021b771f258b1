"""A sandbox served from a thread (its own event loop) with hand-made apps, for driving
``eucora import`` and the adoption path through the command line."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli._sandbox_env import variables
from reconciler.sandbox import Sandbox
from tests.engine._harness import example_git

EXAMPLE_FLEET = Path(__file__).resolve().parents[2] / "examples" / "fleet-repo" / "fleet.yaml"


@dataclass
class Served:
    url: str
    env: dict[str, str]
    seeded: dict[str, Any]
    sandbox: Sandbox
    loop: asyncio.AbstractEventLoop

    def call(self, function: Any, *args: Any) -> Any:
        """Run ``function(*args)`` on the sandbox's loop (its state is not thread-safe)."""

        async def run() -> Any:
            return function(*args)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(30)


def serve(windows: int, macos: int) -> Iterator[Served]:
    ready: dict[str, Any] = {}
    started, stop = threading.Event(), None

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        async with Sandbox(fleet=EXAMPLE_FLEET, devices_windows=10, devices_macos=6) as box:
            ready["seeded"] = box.seed_hand_made(windows, macos)
            ready["box"] = box
            ready["loop"] = asyncio.get_running_loop()
            started.set()
            await stop.wait()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert started.wait(60)
    box: Sandbox = ready["box"]
    loop: asyncio.AbstractEventLoop = ready["loop"]
    env = variables(box.connection_info())
    try:
        yield Served(box.base_url, env, ready["seeded"], box, loop)
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)


@pytest.fixture
def hand_made() -> Iterator[Served]:
    """100 hand-made Intune apps and 100 Jamf packages with their policies."""
    yield from serve(100, 100)


@pytest.fixture(scope="session")
def built_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("built")


@pytest.fixture
def fleet(built_cache: Path, tmp_path: Path) -> Path:
    """A private copy of the example fleet repo with its git history."""
    return example_git(built_cache, tmp_path / "fleet")
