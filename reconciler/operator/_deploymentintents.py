"""kopf handlers of DeploymentIntents: each intent's part of its source's newest pass
into its status and Events, and a warning when one is edited by hand."""

from __future__ import annotations

from typing import Any

import kopf

from reconciler.operator import _materialize as m
from reconciler.operator._errors import kopf_errors
from reconciler.operator._state import OperatorState


async def intent_tick(
    meta: kopf.Meta, body: kopf.Body, status: kopf.Status, memo: kopf.Memo,
    patch: kopf.Patch, **_: Any,
) -> None:  # fmt: skip
    """Copy this intent's part of its source's newest pass into the status (running the
    pass first if one is due), and post Events for what changed."""
    state: OperatorState = memo.state
    service = state.sources.get(m.owner_uid(meta) or "")
    if service is None:
        return  # its source has not been fetched by this replica yet
    update = await service.report_intent(meta["name"], meta.get("generation"), status)
    if update is None:
        return
    patch.status.update(update.status or {})
    for event in update.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)
    if update.error is not None:
        with kopf_errors():
            raise update.error


def intent_edited(old: Any, new: Any, meta: kopf.Meta, body: kopf.Body, **_: Any) -> None:
    """Intents come from Git; warn when someone edits one by hand (it will be reverted)."""
    digest = meta.get("annotations", {}).get(m.DIGEST_ANNOTATION)
    if old is not None and digest and m.intent_digest(dict(new or {})) != digest:
        kopf.warn(
            body,
            reason="EditedOutsideGit",
            message="DeploymentIntents are materialized from Git; this edit will be reverted.",
        )
