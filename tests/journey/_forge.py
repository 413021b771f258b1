"""A local stand-in of the GitHub and GitLab REST APIs (comments / notes) on 127.0.0.1.

Serves what the sticky-comment calls use, the way the real APIs answer them: paged lists
(GitHub's ``Link: rel="next"``, GitLab's ``X-Next-Page``), 201 with the created object, 200
with the updated one, 401 without the token, 404 for an unknown comment. Every request is
recorded (method, path, query, JSON body, headers) for the tests to compare exactly.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE = 2  # small pages, so that paging is exercised with a few comments
GITHUB_LIST = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)/comments$")
GITHUB_ONE = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)$")
GITLAB_LIST = re.compile(r"^/api/v4/projects/(?P<project>[^/]+)/merge_requests/(?P<iid>\d+)/notes$")
GITLAB_ONE = re.compile(
    r"^/api/v4/projects/(?P<project>[^/]+)/merge_requests/(?P<iid>\d+)/notes/(?P<id>\d+)$"
)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class Forge:
    token: str
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1000

    def add(self, body: str, author: str = "someone") -> dict[str, Any]:
        self.next_id += 1
        comment = {"id": self.next_id, "body": body, "user": {"login": author},
                   "html_url": f"{self.url}/c/{self.next_id}"}  # fmt: skip
        self.comments.append(comment)
        return comment

    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.method != "GET"]


def _handler(forge: Forge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            query = parse_qs(parts.query)
            forge.calls.append(Call(self.command, parts.path, query, body, dict(self.headers)))
            authorized = self.headers.get("Authorization") == f"Bearer {forge.token}" or (
                self.headers.get("PRIVATE-TOKEN") == forge.token
            )
            if not authorized:
                self._reply(401, {"message": "Bad credentials"})
                return
            listing = GITHUB_LIST.match(parts.path) or GITLAB_LIST.match(parts.path)
            one = GITHUB_ONE.match(parts.path) or GITLAB_ONE.match(parts.path)
            if listing and self.command == "GET":
                page = int(query.get("page", ["1"])[0])
                items = forge.comments[(page - 1) * PAGE : page * PAGE]
                headers = {}
                if page * PAGE < len(forge.comments):
                    if parts.path.startswith("/api/v4/"):
                        headers["X-Next-Page"] = str(page + 1)
                    else:
                        headers["Link"] = (
                            f'<{forge.url}{parts.path}?per_page=100&page={page + 1}>; rel="next"'
                        )
                self._reply(200, items, headers)
            elif listing and self.command == "POST":
                self._reply(201, forge.add(body["body"], "eucora-bot"))
            elif one and self.command in {"PATCH", "PUT"}:
                found = next((c for c in forge.comments if c["id"] == int(one["id"])), None)
                if found is None:
                    self._reply(404, {"message": "Not Found"})
                    return
                found["body"] = body["body"]
                self._reply(200, found)
            else:
                self._reply(404, {"message": "Not Found"})

        do_GET = do_POST = do_PATCH = do_PUT = _handle

    return Handler


@contextmanager
def serve_forge(token: str) -> Iterator[Forge]:
    forge = Forge(token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(forge))
    forge.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield forge
    finally:
        server.shutdown()
        server.server_close()
