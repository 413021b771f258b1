"""The pass as a step list over one context: a step added with one line runs in its
place (after apply, skipped in a dry run), and a revision loaded once is not loaded again."""

from __future__ import annotations

from pathlib import Path

import pytest

import reconciler.engine._load as load_module
from reconciler.domain.gates.progress import Progress
from reconciler.engine import STEPS, PassContext, Step, open_revision
from reconciler.gitops import open_local
from tests.engine._harness import harness, keep_only


async def test_a_step_added_after_apply_sees_the_writes_and_skips_a_dry_run(
    fleet: Path, tmp_path: Path
) -> None:
    keep_only(fleet, ["7zip-24.08", "7zip-23.01"])
    seen: list[tuple[int, set[str]]] = []

    async def verify(ctx: PassContext) -> None:
        """Read the tenants back after the writes."""
        after = {p: await c.snapshot([]) for p, c in ctx.ports.connectors.items()}
        seen.append((ctx.outcome.writes, {n for s in after.values() for n in s.managed()}))

    names = [s.name for s in STEPS]
    at = names.index("apply") + 1
    steps = (*STEPS[:at], Step("verify", verify, writes=True), *STEPS[at:])
    async with harness(fleet, tmp_path) as h:
        h.reconciler.steps = steps
        planned = await h.run(dry_run=True)
        assert seen == [] and planned.planned_writes > 0  # a dry run skips a writing step
        applied = await h.run()
        assert applied.writes > 0
        # the verify step ran after apply: it saw this pass's writes and the apps they made
        written = {r.name for r in applied.intents if r.writes}
        assert written and seen == [(applied.writes, written)]
        assert applied.report("7zip-24.08").state is Progress.PROGRESSING


async def test_a_revision_loaded_once_is_handed_on_not_loaded_again(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep_only(fleet, ["7zip-24.08", "7zip-23.01"])
    loads: list[Path] = []
    real = load_module.load_repo

    def counting(root: Path) -> object:
        loads.append(root)
        return real(root)

    monkeypatch.setattr(load_module, "load_repo", counting)
    async with harness(fleet, tmp_path) as h:
        with open_revision(open_local(fleet)) as loaded:
            assert sorted(loaded.repo.intents) == ["7zip-23.01", "7zip-24.08"]  # the caller's use
            result = await h.reconciler.reconcile_loaded(loaded, dry_run=True)
        assert len(loads) == 1
        assert [r.name for r in result.intents] == ["7zip-23.01", "7zip-24.08"]
        await h.run(dry_run=True)  # reconcile() loads for itself: once
        assert len(loads) == 2
