"""The REST calls of a sticky comment: list (paged), create once, then update in place.

GitHub (https://docs.github.com/rest/issues/comments):
``GET /repos/{owner}/{repo}/issues/{number}/comments?per_page=100`` (``Link: rel="next"``),
``POST /repos/{owner}/{repo}/issues/{number}/comments`` and
``PATCH /repos/{owner}/{repo}/issues/comments/{id}``, each with ``{"body": …}``.
GitLab (https://docs.gitlab.com/api/notes/#merge-requests):
``GET /projects/{id}/merge_requests/{iid}/notes?per_page=100`` (``X-Next-Page``),
``POST …/notes`` and ``PUT …/notes/{note_id}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from reconciler.domain.errors import (
    AuthenticationError,
    ConfigurationError,
    RequestRejectedError,
    TransientTenantError,
)

#: GitHub refuses a comment body over 65,536 characters; GitLab allows 1,000,000
GITHUB_MAX_BODY = 65_536
_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class StickyResult:
    action: str  # created | updated | unchanged
    comment_id: int
    url: str


class CommentHost(Protocol):
    max_body: int

    def comments(self) -> Iterator[dict[str, Any]]: ...
    def create(self, body: str) -> dict[str, Any]: ...
    def update(self, comment_id: int, body: str) -> dict[str, Any]: ...


def _check(response: httpx.Response, what: str) -> httpx.Response:
    status = response.status_code
    if status < 400:
        return response
    text = f"{what}: {response.request.method} {response.request.url.path} answered {status}"
    if status in {401, 403}:
        raise AuthenticationError(
            f"{text} (is the token allowed to write comments?)", status=status
        )
    if status == 429 or status >= 500:
        raise TransientTenantError(text, status=status)
    raise RequestRejectedError(text, status=status)


class _Host:
    name = "host"
    max_body = 1_000_000

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=_TIMEOUT)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise TransientTenantError(f"{self.name}: {method} {path}: {exc}") from exc
        return _check(response, self.name)

    def close(self) -> None:
        self._http.close()


class GitHubComments(_Host):
    name = "GitHub"
    max_body = GITHUB_MAX_BODY

    def __init__(self, api_url: str, repository: str, number: int, token: str) -> None:
        if repository.count("/") != 1:
            raise ConfigurationError(f"GITHUB_REPOSITORY {repository!r} is not owner/name")
        super().__init__(
            api_url,
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        self.repo = f"/repos/{repository}"
        self.number = number

    def comments(self) -> Iterator[dict[str, Any]]:
        url: str | None = f"{self.repo}/issues/{self.number}/comments"
        params: dict[str, Any] | None = {"per_page": 100}
        while url:
            response = self._send("GET", url, params=params)
            yield from response.json()
            url = response.links.get("next", {}).get("url")
            params = None  # the next link carries them

    def create(self, body: str) -> dict[str, Any]:
        path = f"{self.repo}/issues/{self.number}/comments"
        result: dict[str, Any] = self._send("POST", path, json={"body": body}).json()
        return result

    def update(self, comment_id: int, body: str) -> dict[str, Any]:
        path = f"{self.repo}/issues/comments/{comment_id}"
        result: dict[str, Any] = self._send("PATCH", path, json={"body": body}).json()
        return result


class GitLabNotes(_Host):
    name = "GitLab"

    def __init__(self, api_url: str, project: str, iid: int, token: str) -> None:
        super().__init__(api_url, {"PRIVATE-TOKEN": token})
        self.base = f"/projects/{quote(project, safe='')}/merge_requests/{iid}/notes"

    def comments(self) -> Iterator[dict[str, Any]]:
        page: str | None = "1"
        while page:
            response = self._send("GET", self.base, params={"per_page": 100, "page": page})
            yield from response.json()
            page = response.headers.get("X-Next-Page") or None

    def create(self, body: str) -> dict[str, Any]:
        result: dict[str, Any] = self._send("POST", self.base, json={"body": body}).json()
        return result

    def update(self, comment_id: int, body: str) -> dict[str, Any]:
        path = f"{self.base}/{comment_id}"
        result: dict[str, Any] = self._send("PUT", path, json={"body": body}).json()
        return result


def fit(body: str, limit: int, note: str) -> str:
    """``body`` cut to ``limit`` characters, ending with ``note`` when cut."""
    if len(body) <= limit:
        return body
    return body[: limit - len(note) - 2].rstrip() + "\n\n" + note


def post_sticky(host: CommentHost, body: str, marker: str, *, full_url: str = "") -> StickyResult:
    """Create the comment carrying ``marker``, or update the one that does (the first one
    found; later duplicates are left alone)."""
    if marker not in body:
        body = f"{marker}\n{body}"
    link = f" — [full plan]({full_url})" if full_url else ""
    body = fit(body, host.max_body, f"_Cut to fit a comment{link}._")
    existing = next((c for c in host.comments() if marker in str(c.get("body") or "")), None)
    if existing is None:
        created = host.create(body)
        return StickyResult("created", int(created["id"]), str(created.get("html_url") or ""))
    if existing.get("body") == body:
        return StickyResult("unchanged", int(existing["id"]), str(existing.get("html_url") or ""))
    updated = host.update(int(existing["id"]), body)
    return StickyResult("updated", int(updated["id"]), str(updated.get("html_url") or ""))
