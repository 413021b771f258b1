"""Local HTTP stand-ins for Teams, Slack, a JSON webhook, GitHub and GitLab on 127.0.0.1
that record every request exactly as received (path, headers, body)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class StandIn:
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    #: path → status codes to answer in turn before 200/201 (e.g. [500, 429])
    script: dict[str, list[int]] = field(default_factory=dict)
    delay: float = 0.0

    def at(self, path: str) -> list[Any]:
        return [r.body for r in self.requests if r.path == path]

    def under(self, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(prefix)]


@asynccontextmanager
async def stand_in() -> AsyncIterator[StandIn]:
    recorder = StandIn()

    async def record(request: web.Request) -> web.Response:
        raw = await request.read()
        recorder.requests.append(
            Recorded(
                request.rel_url.raw_path, dict(request.headers), json.loads(raw) if raw else None
            )
        )
        if recorder.delay:
            await asyncio.sleep(recorder.delay)
        planned = recorder.script.get(request.rel_url.raw_path)
        if planned:
            code = planned.pop(0)
            headers = {"Retry-After": "0"} if code == 429 else {}
            return web.Response(status=code, text="scripted", headers=headers)
        if "/statuses/" in request.rel_url.raw_path:
            return web.json_response({"id": len(recorder.requests)}, status=201)
        return web.Response(text="1")

    app = web.Application()
    app.router.add_post("/{tail:.*}", record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    recorder.url = f"http://127.0.0.1:{port}"
    try:
        yield recorder
    finally:
        await runner.cleanup()
