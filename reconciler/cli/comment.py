"""``eucora comment github|gitlab``: post the plan as one sticky PR / MR comment.

What the GitHub Action (``action.yml``) and the GitLab CI template
(``ci/gitlab/eucora.gitlab-ci.yml``) run after ``eucora plan --format markdown``. The
pull request, repository and API come from the CI's own variables; the comment is found
again by the plan's hidden marker and updated in place.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from reconciler.cli._common import (
    EXIT_USAGE,
    OutputFormat,
    app,
    console,
    fail,
    handle_errors,
    print_json,
)
from reconciler.cli._markdown import MARKER
from reconciler.forge import GitHubComments, GitLabNotes, post_sticky

comment_app = typer.Typer(
    help="Post the plan as one sticky pull/merge request comment.", no_args_is_help=True
)
app.add_typer(comment_app, name="comment")

BodyOption = Annotated[
    Path, typer.Option("--body-file", help="Markdown to post (eucora plan --format markdown).")
]
UrlOption = Annotated[
    str, typer.Option("--full-plan-url", help="Where the full plan is, if the body is cut.")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f")]


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        fail(f"{name} is not set (run this in the CI job, or set it)", EXIT_USAGE)
    return value


def _body(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"--body-file {path}: {exc.strerror}")


def _post(host: GitHubComments | GitLabNotes, body: str, url: str, output: OutputFormat) -> None:
    try:
        with handle_errors():
            result = post_sticky(host, body, MARKER, full_url=url)
    finally:
        host.close()
    if output is OutputFormat.JSON:
        print_json({"action": result.action, "id": result.comment_id, "url": result.url})
    else:
        console.print(f"plan comment {result.action}: {result.url or result.comment_id}")


def _pull_request_number() -> int:
    number = os.environ.get("EUCORA_PR_NUMBER", "").strip()
    if not number:
        event = Path(_env("GITHUB_EVENT_PATH"))
        try:
            number = str(json.loads(event.read_text(encoding="utf-8"))["pull_request"]["number"])
        except (OSError, ValueError, KeyError, TypeError):
            fail(f"{event} is not a pull_request event; set EUCORA_PR_NUMBER", EXIT_USAGE)
    if not number.isdigit():
        fail(f"pull request number {number!r} is not a number", EXIT_USAGE)
    return int(number)


@comment_app.command("github")
def github(
    body_file: BodyOption,
    full_plan_url: UrlOption = "",
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Create or update the plan comment of a GitHub pull request.

    Reads GITHUB_API_URL, GITHUB_REPOSITORY, the pull request from GITHUB_EVENT_PATH (or
    EUCORA_PR_NUMBER) and the token from GITHUB_TOKEN (needs pull-requests: write).
    """
    body = _body(body_file)
    host = GitHubComments(
        os.environ.get("GITHUB_API_URL", "https://api.github.com"),
        _env("GITHUB_REPOSITORY"),
        _pull_request_number(),
        _env("GITHUB_TOKEN"),
    )
    _post(host, body, full_plan_url, output)


@comment_app.command("gitlab")
def gitlab(
    body_file: BodyOption,
    full_plan_url: UrlOption = "",
    output: FormatOption = OutputFormat.TEXT,
) -> None:
    """Create or update the plan note of a GitLab merge request.

    Reads CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID and the token from
    EUCORA_GITLAB_TOKEN (a project access token with the api scope).
    """
    body = _body(body_file)
    iid = _env("CI_MERGE_REQUEST_IID")
    if not iid.isdigit():
        fail(f"CI_MERGE_REQUEST_IID {iid!r} is not a number", EXIT_USAGE)
    host = GitLabNotes(
        _env("CI_API_V4_URL"), _env("CI_PROJECT_ID"), int(iid), _env("EUCORA_GITLAB_TOKEN")
    )
    _post(host, body, full_plan_url, output)
