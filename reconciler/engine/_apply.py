"""The apply step: the plan's writes, each audited with its correlation id.

After record (every decision is stored before any write), before record_pass. Supersedes
chains run in order (a superseded intent's assignments give way first), chains run
concurrently; a failed write stops only its intent, a write the tenant is not ready for
waits for the next pass. Installers come from the pass's package store.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from reconciler.connectors import correlation_id
from reconciler.domain.errors import EucoraError, NotReadyError
from reconciler.domain.planning.plan import Action, ActionKind, IntentPlan
from reconciler.engine._context import PassContext
from reconciler.engine._records import ApplyOutcome

log = structlog.get_logger("eucora.engine")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Written:
    """The result of one write."""

    action: Action
    app_id: str | None
    ok: bool
    deferred: bool = False
    error: str = ""


async def apply(ctx: PassContext) -> None:
    ctx.outcome = await apply_plan(ctx)


async def apply_plan(ctx: PassContext) -> ApplyOutcome:
    plan, tick = ctx.plan, ctx.ports.tick
    gate = asyncio.Semaphore(ctx.ports.concurrency)
    chains = plan.chains()
    total, done = sum(len(c) for c in chains), 0
    tick("apply", 0, total + len(plan.orphans))

    async def run_chain(chain: list[IntentPlan]) -> list[_Written]:
        nonlocal done
        results: list[_Written] = []
        async with gate:
            for intent_plan in chain:
                results += await _apply_intent(ctx, intent_plan)
                done += 1
                tick("apply", done, total)
        return results

    # A TaskGroup, not gather: when one chain fails, the others are cancelled and awaited
    # before the pass ends, so no write of this pass can land while the next one runs.
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(run_chain(chain)) for chain in chains]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    written = [w for task in tasks for w in task.result()]
    for action in plan.orphans:
        if action.writes:
            written.append(await _write(ctx, action, None))
    return _outcome(written)


def _outcome(written: list[_Written]) -> ApplyOutcome:
    errors: dict[str, tuple[str, ...]] = {}
    for w in written:
        if w.error:
            errors[w.action.intent] = (*errors.get(w.action.intent, ()), w.error)
    return ApplyOutcome(
        writes=sum(1 for w in written if w.ok),
        errors=errors,
        deferred=frozenset(w.action.intent for w in written if w.deferred),
    )


async def _apply_intent(ctx: PassContext, intent_plan: IntentPlan) -> list[_Written]:
    """The intent's writes in order, until one fails or waits (the rest wait for the
    next pass)."""
    created: dict[Any, str] = {}
    results = []
    for action in intent_plan.writes:
        written = await _write(ctx, action, created.get(action.platform))
        results.append(written)
        if not written.ok:
            break
        if action.kind is ActionKind.CREATE_APP and written.app_id is not None:
            created[action.platform] = written.app_id
    return results


async def _write(ctx: PassContext, action: Action, created: str | None) -> _Written:
    platform = _needed(action.platform)
    connector = ctx.ports.connectors[_needed(action.provider)]
    request_id = str(uuid.uuid4())
    token = correlation_id.set(request_id)
    app_id = action.app_id or created
    try:
        match action.kind:
            case ActionKind.ADOPT_APP:
                await connector.adopt_app(_needed(app_id), _needed(action.app), action.adopt)
            case ActionKind.CREATE_APP:
                app_id = await connector.create_app(_needed(action.app))
            case ActionKind.UPLOAD_CONTENT:
                await ctx.ports.packages.check_evidence(action.intent)  # the pack, again
                await connector.upload_content(
                    _needed(app_id), _needed(action.app), ctx.ports.packages
                )
            case ActionKind.UPDATE_APP:
                await connector.update_app(_needed(app_id), _needed(action.app))
            case ActionKind.SET_ASSIGNMENTS:
                await connector.set_assignments(_needed(app_id), action.assignments)
            case ActionKind.DELETE_APP:
                await connector.delete_app(_needed(app_id))
            case _:  # pragma: no cover - only writes reach here
                return _Written(action, app_id, ok=True)
    except NotReadyError as exc:
        log.info(
            "write deferred to the next pass", intent=action.intent,
            action=action.kind.value, platform=platform.value, reason=exc.message,
            correlation_id=request_id,
        )  # fmt: skip
        return _Written(action, app_id, ok=False, deferred=True)
    except EucoraError as exc:
        log.warning(
            "write failed", intent=action.intent, action=action.kind.value,
            platform=platform.value, reason=exc.reason, error=exc.message,
            correlation_id=request_id,
        )  # fmt: skip
        _log_write(ctx, action, app_id, request_id, error=exc)
        return _Written(
            action, app_id, ok=False, error=f"{action.describe()}: {exc.reason}: {exc.message}"
        )
    finally:
        correlation_id.reset(token)
    _log_write(ctx, action, app_id, request_id)
    return _Written(action, app_id, ok=True)


def _log_write(
    ctx: PassContext,
    action: Action,
    app_id: str | None,
    request_id: str,
    error: EucoraError | None = None,
) -> None:
    audit = ctx.ports.audit
    if audit is None:
        return
    data: dict[str, Any] = action.to_dict()
    data.pop("intent")
    data["appId"] = app_id
    data["result"] = "ok" if error is None else f"{error.reason}: {error.message}"
    audit.append(
        "write", revision=ctx.revision.commit, correlation_id=request_id,
        intent=action.intent, now=ctx.now, **data,
    )  # fmt: skip


def _needed(value: _T | None) -> _T:
    """A value the plan always provides for this action (a bug if it is missing)."""
    if value is None:
        raise RuntimeError("plan action lacks a value its kind requires")
    return value
