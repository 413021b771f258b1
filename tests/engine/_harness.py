"""A fleet repo in git, the sandbox over HTTP and a Reconciler wired to both."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git
import yaml

from reconciler.compose import build_reconciler
from reconciler.compose.connectors import close_all, sandbox_connectors
from reconciler.connectors import RetryPolicy
from reconciler.domain.evaluation.trust import TRUST_ROOT_FILE, load_trust_root
from reconciler.domain.ports import TenantConnector
from reconciler.domain.tenant import Assignment, DesiredApp, TenantSnapshot
from reconciler.engine import AuditLog, PassResult, Reconciler, StateStore
from reconciler.gitops import build_example_repo, commit_as, open_local
from reconciler.gitops._write import sign_document
from reconciler.policy import EmbeddedEngine, load_policy_set
from reconciler.sandbox import Sandbox
from tests.conftest import ROOT

KEYS = ROOT / "examples" / "keys"
SIGNERS = KEYS / "allowed_signers"
FAST_RETRY = RetryPolicy(attempts=8, initial=0.001, maximum=0.01, settle=0.05)
_ENGINE: list[EmbeddedEngine] = []


def policy_engine() -> EmbeddedEngine:
    if not _ENGINE:
        _ENGINE.append(EmbeddedEngine(load_policy_set()))
    return _ENGINE[0]


def example_git(cache: Path, target: Path) -> Path:
    """The example fleet repo with its signed history, built once per session."""
    built = cache / "fleet"
    if not built.exists():
        build_example_repo(ROOT / "examples" / "fleet-repo", built, KEYS)
    shutil.copytree(built, target, symlinks=True)
    return target


def keep_only(repo: Path, intents: Iterable[str]) -> None:
    """Remove every intent but ``intents`` and the documents that refer to the others,
    and commit the result."""
    keep = set(intents)
    for folder in ("intents", "approvals", "exceptions", "incidents"):
        for path in sorted((repo / folder).glob("*.yaml")):
            document = yaml.safe_load(path.read_text())
            spec = document.get("spec", {})
            name = document["metadata"]["name"] if folder == "intents" else spec.get("intent")
            if name not in keep:
                path.unlink()
    commit(repo, "keep only " + ", ".join(sorted(keep)))


def edit(repo: Path, file: str, old: str, new: str) -> None:
    path = repo / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))
    commit(repo, f"edit {file}")


def commit(repo: Path, message: str) -> None:
    handle = git.Repo(repo)
    handle.git.add("-A")
    env = {
        "GIT_AUTHOR_NAME": "Dana Lee",
        "GIT_AUTHOR_EMAIL": "dana@contoso.example",
        "GIT_COMMITTER_NAME": "Dana Lee",
        "GIT_COMMITTER_EMAIL": "dana@contoso.example",
    }
    handle.git.commit("-m", message, "--no-gpg-sign", "--allow-empty", env=env)


def signed_as(text: str, principal: str) -> str:
    """``text`` with ``principal``'s eucora signature, made with their demo key."""
    name = principal.split("@", maxsplit=1)[0]
    with tempfile.TemporaryDirectory() as keys:
        key = Path(keys) / name
        shutil.copyfile(KEYS / name, key)
        key.chmod(0o600)
        return sign_document(text, str(key))


def govern(repo: Path, kind: str, name: str, digest: str, approvers: Sequence[str]) -> None:
    """Signed GovernanceApprovals of ``kind``/``name`` at ``digest``, one per approver,
    committed by each approver."""
    tag = digest[7:15] if digest.startswith("sha256:") else digest
    for who in approvers:
        short = who.split("@", maxsplit=1)[0]
        text = (
            "apiVersion: eucora.io/v1alpha1\nkind: GovernanceApproval\n"
            f"metadata: {{name: {kind.lower()}-{name}-{short}-{tag}}}\nspec:\n"
            f'  document: {{kind: {kind}, name: {name}, digest: "{digest}"}}\n'
            f"  approver: {who}\n  decision: approved\n"
            "  approvedAt: 2026-11-01T00:00:00Z\n  expires: 2027-12-31T00:00:00Z\n"
        )
        file = f"approvals/governance/{kind.lower()}-{name}-{short}-{tag}.yaml"
        commit_as(repo, {file: signed_as(text, who)}, f"Governance: approve {kind} {name}",
                  (short.replace(".", " ").title(), who), KEYS, date="2026-11-01T00:00:00+00:00",
                  sign=True)  # fmt: skip


class SimulatedCrash(BaseException):
    """The process dies here: nothing below the engine gets to handle it."""


class CrashAfter:
    """Wraps connectors; the write after ``limit`` successful ones kills the pass."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.writes = 0

    def wrap(self, connector: TenantConnector) -> TenantConnector:
        return _Crashing(connector, self)

    def count(self) -> None:
        if self.writes >= self.limit:
            raise SimulatedCrash(f"crash after write {self.limit}")
        self.writes += 1


class _Crashing:
    def __init__(self, inner: TenantConnector, crash: CrashAfter) -> None:
        self.inner, self.crash, self.platform = inner, crash, inner.platform
        self.provider = inner.provider

    async def snapshot(self, ring_groups: Sequence[str]) -> TenantSnapshot:
        return await self.inner.snapshot(ring_groups)

    async def create_app(self, app: DesiredApp) -> str:
        self.crash.count()
        return await self.inner.create_app(app)

    async def upload_content(self, app_id: str, app: DesiredApp, store: Any) -> None:
        self.crash.count()
        await self.inner.upload_content(app_id, app, store)

    async def update_app(self, app_id: str, app: DesiredApp) -> None:
        self.crash.count()
        await self.inner.update_app(app_id, app)

    async def adopt_app(self, app_id: str, app: DesiredApp, related: Any) -> None:
        self.crash.count()
        await self.inner.adopt_app(app_id, app, related)

    async def set_assignments(self, app_id: str, assignments: Sequence[Assignment]) -> None:
        self.crash.count()
        await self.inner.set_assignments(app_id, assignments)

    async def delete_app(self, app_id: str) -> None:
        self.crash.count()
        await self.inner.delete_app(app_id)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Harness:
    repo: Path
    sandbox: Sandbox
    store: StateStore
    audit: AuditLog
    connectors: dict[str, TenantConnector]
    reconciler: Reconciler

    async def run(self, *, dry_run: bool = False) -> PassResult:
        return await self.reconciler.reconcile(open_local(self.repo), dry_run=dry_run)

    async def until(self, done: Any, *, hours: float = 12, passes: int = 30) -> PassResult:
        """Passes with the clock advancing between them, until ``done(result)``."""
        for _ in range(passes):
            result = await self.run()
            if done(result):
                return result
            self.sandbox.advance(hours=hours)
        raise AssertionError(f"not done after {passes} passes: {summary(result)}")

    def writes(self) -> int:
        """Writes that changed the tenant's state (POST /$batch reads do not count)."""
        return sum(self.sandbox.counters()["stateWrites"].values())

    def use(self, crash: CrashAfter | None) -> None:
        wrapped = {p: crash.wrap(c) if crash is not None else c for p, c in self.connectors.items()}
        self.reconciler.connectors = wrapped

    def apps(self, intent: str) -> dict[str, list[dict[str, Any]]]:
        """Tenant objects carrying the intent's marker, per platform (the sandbox's view)."""
        marker = f"intent={intent} "
        windows = [
            a.data
            for a in self.sandbox.graph.apps.values()
            if marker in (a.data.get("notes") or "")
        ]
        macos = [p for p in self.sandbox.jamf.packages.values() if marker in (p.get("notes") or "")]
        return {"windows": windows, "macos": macos}

    def assignments(self, intent: str) -> list[tuple[str, str]]:
        """(intent, group id) of the intent's Intune app assignments."""
        (app,) = [
            a
            for a in self.sandbox.graph.apps.values()
            if f"intent={intent} " in (a.data.get("notes") or "")
        ]
        return sorted(
            (x["intent"], x["target"].get("groupId") or x["target"]["@odata.type"].split(".")[-1])
            for x in app.assignments
        )


def summary(result: PassResult) -> str:
    return "; ".join(
        f"{r.name}={r.ring}/{r.state.value}:{r.gate_summary()}" for r in result.intents
    )


@contextlib.asynccontextmanager
async def harness(
    repo: Path,
    state_dir: Path,
    *,
    faults: str | None = None,
    devices: tuple[int, int] = (2000, 800),
    **sandbox_options: Any,
) -> AsyncIterator[Harness]:
    async with Sandbox(
        fleet=repo / "fleet.yaml",
        faults=faults,
        devices_windows=devices[0],
        devices_macos=devices[1],
        retry_after_seconds=0,
        **sandbox_options,
    ) as sandbox:
        connectors = sandbox_connectors(sandbox, retry=FAST_RETRY)
        store = StateStore(state_dir / "state.db")
        audit = AuditLog(state_dir / "audit.jsonl", actor="test")
        reconciler = build_reconciler(
            connectors=connectors,
            policy=policy_engine(),
            store=store,
            audit=audit,
            clock=sandbox.now,
            signers=SIGNERS,
            trust=load_trust_root(KEYS / TRUST_ROOT_FILE),
        )
        try:
            yield Harness(repo, sandbox, store, audit, dict(connectors), reconciler)
        finally:
            store.close()
            await close_all(connectors)
