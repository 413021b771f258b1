"""The GitHub Action and the GitLab template, run as CI runs them, against API stand-ins.

The Action's own step scripts (``action.yml`` and ``ci/github/plan.sh``) and the GitLab
template's script run in bash with the variables the CI sets, ``eucora`` on PATH, against
a fleet repo that is a subfolder of its checkout. The stand-in records every REST call.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import git
import pytest
import yaml

from reconciler.cli._markdown import MARKER
from tests.conftest import EXAMPLE_REPO, ROOT
from tests.journey._forge import serve_forge
from tests.journey.conftest import edit

TOKEN = "ghs_stand-in-token"
BIN = str(Path(sys.executable).parent)
RUN_URL = "https://github.example/o/r/actions/runs/42"


def _checkout(tmp_path: Path) -> Path:
    """A checkout whose fleet repo is the subfolder fleet/, with a PR branch on top of main."""
    root = tmp_path / "checkout"
    shutil.copytree(EXAMPLE_REPO, root / "fleet")
    (root / "README.md").write_text("the endpoint team's repo\n")
    repo = git.Repo.init(root, initial_branch="main")
    _push(root, "fleet")
    repo.git.branch("base")
    edit(root / "fleet/intents/vlc-3.0.21.yaml", "suspend: true", "suspend: false")
    _push(root, "unsuspend vlc")
    return root


def _push(root: Path, message: str) -> None:
    """Commit the work tree's changes, as a push does: the plan reads documents from the
    commit, never the work tree."""
    env = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.com",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.com"}  # fmt: skip
    repo = git.Repo(root)
    repo.git.add("-A")
    repo.git.commit("-qm", message, "--no-gpg-sign", env=env)


def _step(name: str) -> str:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    return str(next(s for s in action["runs"]["steps"] if s.get("name") == name)["run"])


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **env}
    return subprocess.run(
        ["bash", "-c", script],
        check=False,
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _github_env(root: Path, tmp_path: Path, forge_url: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    return {
        "GITHUB_API_URL": forge_url, "GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": str(event),
        "GITHUB_TOKEN": TOKEN, "GITHUB_WORKSPACE": str(root), "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "EUCORA_FLEET": "fleet", "EUCORA_BASE": "base", "EUCORA_MAX_CHARS": "60000",
        "EUCORA_PLAN_DIR": str(tmp_path / "plan"), "EUCORA_RUN_URL": RUN_URL,
        # the CAB's signers file, with the trust root beside it, as a secret would give them
        "EUCORA_SIGNERS": str(ROOT / "examples" / "keys" / "allowed_signers"),
    }  # fmt: skip


def test_the_action_creates_one_comment_then_updates_it(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    (root / "fleet/packages/windows/7z2408-x64.intunewin").unlink()  # a finding to annotate
    plan_step = _step("Validate and plan")
    with serve_forge(TOKEN) as forge:
        env = _github_env(root, tmp_path, forge.url)
        for body in ("LGTM", "please look at vlc", "👍"):  # people's comments, two pages
            forge.add(body)
        first = _bash(plan_step, root, env)
        assert first.returncode == 0, first.stderr
        # annotations name the file inside the checkout, not inside the fleet repo
        assert (
            "::error file=fleet/intents/7zip-24.08.yaml,line=19,col=13,title=package-missing::"
            in first.stdout
        )
        outputs = (tmp_path / "output").read_text()
        assert "validate=1" in outputs and "plan=1" in outputs
        body = (tmp_path / "plan" / "plan.md").read_text()
        # vlc's intent and 7-Zip's package file changed
        assert body.startswith(MARKER) and "2 changed intent(s)" in body
        assert (tmp_path / "plan" / "plan.json").is_file()
        assert (tmp_path / "plan" / "plan-full.md").read_text().startswith(MARKER)

        comment = _bash(_step("Comment"), root, env)
        assert comment.returncode == 0, comment.stderr
        reads = [(c.method, c.path, c.query) for c in forge.calls]
        assert reads == [
            ("GET", "/repos/o/r/issues/7/comments", {"per_page": ["100"]}),
            ("GET", "/repos/o/r/issues/7/comments", {"per_page": ["100"], "page": ["2"]}),
            ("POST", "/repos/o/r/issues/7/comments", {}),
        ]
        post = forge.calls[-1]
        assert post.body == {"body": body}
        assert post.headers["Authorization"] == f"Bearer {TOKEN}"
        assert post.headers["Accept"] == "application/vnd.github+json"
        assert post.headers["X-GitHub-Api-Version"] == "2022-11-28"
        created = forge.comments[-1]["id"]

        # the next push: the fleet changes, the same comment is updated in place
        forge.calls.clear()
        edit(root / "fleet/intents/vlc-3.0.21.yaml", "until: broad", "until: pilot")
        _push(root, "vlc until pilot")
        assert _bash(plan_step, root, env).returncode == 0
        assert _bash(_step("Comment"), root, env).returncode == 0
        writes = forge.writes()
        assert [(c.method, c.path) for c in writes] == [
            ("PATCH", f"/repos/o/r/issues/comments/{created}")
        ]
        updated = (tmp_path / "plan" / "plan.md").read_text()
        assert writes[0].body == {"body": updated} and updated != body
        assert sum(MARKER in c["body"] for c in forge.comments) == 1

        # nothing changed: no write at all
        forge.calls.clear()
        assert _bash(_step("Comment"), root, env).returncode == 0
        assert forge.writes() == []

        result = _bash(_step("Result"), root, {"VALIDATE": "1", "PLAN": "1"})
        assert result.returncode != 0 and "docs/cli.md" in result.stdout


def test_a_200_intent_plan_posted_by_the_action_stays_under_the_cap(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    text = (root / "fleet/intents/7zip-24.08.yaml").read_text()
    for i in range(200):
        body = text.replace("name: 7zip-24.08", f"name: bulk-{i:03d}", 1)
        (root / f"fleet/intents/bulk-{i:03d}.yaml").write_text(
            body.replace("    supersedes: 7zip-23.01\n", "")
        )
    _push(root, "200 intents")
    with serve_forge(TOKEN) as forge:
        env = {**_github_env(root, tmp_path, forge.url), "EUCORA_BASE": ""}
        assert _bash(_step("Validate and plan"), root, env).returncode == 0
        assert _bash(_step("Comment"), root, env).returncode == 0
        [post] = forge.writes()
        posted = post.body["body"]
        assert len(posted) <= 60_000 and posted.startswith(MARKER)
        assert f"[the full plan]({RUN_URL}#artifacts)" in posted
        assert len((tmp_path / "plan" / "plan-full.md").read_text()) > 65_536


def test_a_failed_plan_still_updates_the_comment_saying_so(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    with serve_forge(TOKEN) as forge:
        env = {**_github_env(root, tmp_path, forge.url), "EUCORA_TENANT": str(tmp_path / "none")}
        assert _bash(_step("Validate and plan"), root, env).returncode == 0
        assert "plan=5" in (tmp_path / "output").read_text()  # configuration
        assert _bash(_step("Comment"), root, env).returncode == 0
        [post] = forge.writes()
        assert "failed with exit code 5" in post.body["body"] and post.body["body"].startswith(
            MARKER
        )


def test_a_wrong_token_is_exit_5_naming_the_call(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "plan.md").write_text(f"{MARKER}\nplan\n")
    with serve_forge(TOKEN) as forge:
        env = {**_github_env(root, tmp_path, forge.url), "GITHUB_TOKEN": "wrong"}
        result = _bash(_step("Comment"), root, env)
    assert result.returncode == 5
    assert "GET /repos/o/r/issues/7/comments answered 401" in result.stderr
    assert "wrong" not in result.stderr


def _gitlab_script() -> str:
    template = yaml.safe_load((ROOT / "ci/gitlab/eucora.gitlab-ci.yml").read_text())
    job: dict[str, Any] = template["eucora-plan"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    return "\n".join(job["script"])


def test_the_gitlab_template_creates_one_note_then_updates_it(tmp_path: Path) -> None:
    root = _checkout(tmp_path)
    base = git.Repo(root).git.rev_parse("base")
    with serve_forge(TOKEN) as forge:
        forge.add("a human note")
        env = {
            "CI_API_V4_URL": f"{forge.url}/api/v4", "CI_PROJECT_ID": "endpoint/fleet",
            "CI_MERGE_REQUEST_IID": "12", "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
            "CI_JOB_URL": "https://gitlab.example/endpoint/fleet/-/jobs/9",
            "EUCORA_GITLAB_TOKEN": TOKEN, "EUCORA_FLEET": "fleet", "EUCORA_PLAN_DIR": "eucora-plan",
            "EUCORA_SIGNERS_FILE": str(ROOT / "examples" / "keys" / "allowed_signers"),
        }  # fmt: skip
        first = _bash(_gitlab_script(), root, env)
        assert first.returncode == 0, first.stdout + first.stderr
        path = "/api/v4/projects/endpoint%2Ffleet/merge_requests/12/notes"
        [post] = forge.writes()
        body = (root / "eucora-plan" / "plan.md").read_text()
        assert (post.method, post.path, post.body) == ("POST", path, {"body": body})
        assert post.headers["PRIVATE-TOKEN"] == TOKEN and "1 changed intent(s)" in body
        forge.calls.clear()
        edit(root / "fleet/intents/vlc-3.0.21.yaml", "until: broad", "until: pilot")
        _push(root, "vlc until pilot")
        assert _bash(_gitlab_script(), root, env).returncode == 0
        [put] = forge.writes()
        assert (put.method, put.path) == ("PUT", f"{path}/{forge.comments[-1]['id']}")
        assert put.body == {"body": (root / "eucora-plan" / "plan.md").read_text()}


@pytest.mark.parametrize("name", ["Install eucora", "Validate and plan", "Comment", "Result"])
def test_the_action_steps_use_no_expression_inside_scripts(name: str) -> None:
    # inputs reach scripts through env only: a PR cannot inject shell through an input
    assert "${{" not in _step(name)
