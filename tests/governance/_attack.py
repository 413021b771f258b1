"""An attacker's toolbox against a real example fleet repo: commits with chosen
identities and dates, signed or not, and the commands a user runs to see the result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from reconciler.cli import app
from reconciler.gitops import build_example_repo
from reconciler.gitops._write import sign_document
from tests.conftest import ROOT

KEYS = ROOT / "examples" / "keys"
SIGNERS = KEYS / "allowed_signers"
NOW = "2026-11-23T12:00:00Z"
CAROL, DEV, ERIN, FRANK, GRACE = (
    f"{n}@contoso.example"
    for n in ("carol.nguyen", "dev.patel", "erin.okafor", "frank.muller", "grace.kim")
)
MALLORY = "mallory.attacker@contoso.example"
MARIA = "maria.garcia@contoso.example"
runner = CliRunner()


def built_example(cache: Path) -> Path:
    built = cache / "example"
    if not built.exists():
        build_example_repo(ROOT / "examples" / "fleet-repo", built, KEYS)
    return built


def copy_repo(built: Path, target: Path) -> Path:
    shutil.copytree(built, target, symlinks=True)
    return target


def private_key(keys: Path, principal: str) -> str:
    """A copy of the demo key with the permissions ssh-keygen insists on."""
    name = principal.split("@", maxsplit=1)[0]
    target = keys / name
    if not target.exists():
        keys.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(KEYS / name, target)
        target.chmod(0o600)
    return str(target)


def signed(text: str, principal: str, keys: Path) -> str:
    return sign_document(text, private_key(keys, principal))


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    return result.stdout


def commit(
    repo: Path,
    files: dict[str, str | None],
    *,
    author: str,
    committer: str | None = None,
    date: str = "2026-11-22T12:00:00+00:00",
    sign_key: str | None = None,
    message: str = "change",
) -> None:
    """Write (``None``: delete) ``files`` and commit them with the identities given."""
    for rel, content in files.items():
        path = repo / rel
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    committer = committer or author
    env = {
        "GIT_AUTHOR_NAME": author.split("@", maxsplit=1)[0], "GIT_AUTHOR_EMAIL": author,
        "GIT_COMMITTER_NAME": committer.split("@")[0], "GIT_COMMITTER_EMAIL": committer,
        "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
    }  # fmt: skip
    git(repo, "add", "-A")
    sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={sign_key}"] if sign_key else []
    flag = "-S" if sign_key else "--no-gpg-sign"
    git(repo, *sign, "commit", "-q", flag, "-m", message, env=env)


def edit(path: Path, old: str, new: str) -> str:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    return text.replace(old, new, 1)


def cab_status(repo: Path, intent: str, *extra: str, signers: Path = SIGNERS) -> dict[str, Any]:
    result = runner.invoke(
        app,
        ["cab", "status", intent, "--repo", str(repo), "--signers", str(signers),
         "--at", NOW, "--format", "json", *extra],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body: dict[str, Any] = json.loads(result.output)
    return body


def verdicts(status: dict[str, Any]) -> dict[str, str]:
    return {
        a["file"].split("/")[-1].removesuffix(".yaml"): a["reason"] for a in status["approvals"]
    }


def _body(output: str) -> dict[str, Any]:
    try:
        body: dict[str, Any] = json.loads(output)
    except ValueError:
        return {"error": output}
    return body


def plan(repo: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(
        app, ["plan", str(repo), "--signers", str(SIGNERS), "--format", "json", *extra]
    )
    return result.exit_code, _body(result.output)


def governance_status(repo: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(
        app,
        ["governance", "status", "--repo", str(repo), "--signers", str(SIGNERS),
         "--format", "json", *extra],
    )  # fmt: skip
    return result.exit_code, _body(result.output)


def approval_text(
    intent: str, digest: str, approver: str, rings: str, *, name: str,
    decision: str = "approved", approved_at: str = "2026-11-22T10:00:00Z",
    expires: str = "2027-01-31T00:00:00Z", extra: str = "",
) -> str:  # fmt: skip
    return (
        "apiVersion: eucora.io/v1alpha1\nkind: CABApproval\n"
        f"metadata: {{name: {name}}}\nspec:\n  intent: {intent}\n"
        f'  intentDigest: "{digest}"\n  approver: {approver}\n  decision: {decision}\n'
        f"  rings: [{rings}]\n  approvedAt: {approved_at}\n  expires: {expires}\n{extra}"
    )
