"""kopf handlers of GitSources: parse what kopf hands over, call the source's
:class:`~reconciler.operator._service.GitSourceService`, write what comes back."""

from __future__ import annotations

from typing import Any

import kopf

from reconciler.operator._errors import kopf_errors
from reconciler.operator._service import SourceRef
from reconciler.operator._source_status import SourceStatus
from reconciler.operator._state import OperatorState


async def source_tick(
    spec: kopf.Spec, status: kopf.Status, meta: kopf.Meta, body: kopf.Body,
    namespace: str | None, uid: str, memo: kopf.Memo, patch: kopf.Patch,
    logger: kopf.Logger, **_: Any,
) -> None:  # fmt: skip
    """Fetch and materialize when due, run the pass when due, summarize it."""
    state: OperatorState = memo.state
    service = state.source(SourceRef(uid, namespace or "default", meta["name"]), status)
    writer = SourceStatus(patch.status, status)
    try:
        with kopf_errors():
            await service.tick(spec, meta, writer)
    finally:
        writer.finish(meta.get("generation"))
        if not patch.status:
            patch.pop("status", None)  # nothing left to send
        if problem := service.take_audit_problem():
            logger.error(problem)
            kopf.warn(body, reason="AuditLogBroken", message=problem)


async def source_deleted(uid: str, memo: kopf.Memo, **_: Any) -> None:
    """Forget a deleted source's key files, settings and engine (optional: adds no
    finalizer). Its intents go with it, through their owner reference."""
    state: OperatorState = memo.state
    await state.forget(uid)
