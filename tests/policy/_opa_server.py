"""A local OPA-REST-compatible server backed by the embedded engine, for engine tests.

Speaks the slice of OPA's REST API the OpaServerEngine uses: ``PUT /v1/policies/<id>``
(text/plain module) and ``POST /v1/data/<path>`` with ``{"input": …}`` answering
``{"result": …}``. ``delay`` makes every answer slow, ``status`` makes it fail.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reconciler.policy import EmbeddedEngine, PolicySet
from reconciler.policy._policyset import Module


class FakeOpa:
    def __init__(self) -> None:
        self.modules: dict[str, str] = {}
        self.engine: EmbeddedEngine | None = None
        self.delay = 0.0
        self.status = 200
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def compiled(self) -> EmbeddedEngine:
        with self.lock:
            if self.engine is None:
                modules = tuple(
                    Module(path, text, "", True) for path, text in sorted(self.modules.items())
                )
                self.engine = EmbeddedEngine(PolicySet(modules))
            return self.engine


def _handler(opa: FakeOpa) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length", 0)))

        def do_PUT(self) -> None:
            opa.requests.append(("PUT", self.path))
            body = self._body().decode()
            if not self.path.startswith("/v1/policies/"):
                self._answer(404, {"code": "resource_not_found"})
                return
            with opa.lock:
                opa.modules[self.path.removeprefix("/v1/policies/")] = body
                opa.engine = None
            self._answer(200, {})

        def do_POST(self) -> None:
            opa.requests.append(("POST", self.path))
            body = json.loads(self._body() or b"{}")
            time.sleep(opa.delay)
            if opa.status != 200:
                self._answer(opa.status, {"code": "internal_error", "message": "boom"})
                return
            prefix = "/v1/data/eucora/"
            if not (self.path.startswith(prefix) and self.path.endswith("/decision")):
                self._answer(200, {})  # undefined document: OPA answers without "result"
                return
            package = self.path.removeprefix(prefix).removesuffix("/decision")
            decision = opa.compiled().decide(package, body.get("input", {}))
            self._answer(200, {"result": decision.to_dict()})

    return Handler


@contextmanager
def fake_opa() -> Iterator[tuple[FakeOpa, str]]:
    opa = FakeOpa()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(opa))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield opa, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
