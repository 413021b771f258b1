"""Where the dashboard's pages come from: a :class:`FleetSource` gives the newest pass
of each fleet repo and an intent's trail (ring history, audit records).

:class:`StateFileSource` reads what ``eucora reconcile`` leaves behind (the SQLite state
store, which keeps the newest applied pass's report, and the audit log beside it), opened
read-only on each request so a running reconcile loop is never in the way. The operator
supplies its own source from the passes it holds in memory, and another from the
DeploymentIntents' statuses for ``eucora dashboard --cluster``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from reconciler.dashboard._views import Fleet, Trail
from reconciler.engine import REPORT_META, RingEntry, StateStore

#: audit records shown per intent (the newest)
MAX_AUDIT = 200


class FleetSource(Protocol):
    async def fleets(self) -> list[Fleet]: ...

    async def trail(self, fleet: str, intent: str) -> Trail: ...


def fleet_from_report(
    key: str, title: str, document: Mapping[str, Any], extra: Mapping[str, Mapping[str, Any]]
) -> Fleet:
    """A fleet from a ``PassResult.to_dict()``; ``extra`` adds fields per intent (the
    store's ``reachedRings`` and ``ringEnteredAt``)."""
    intents = tuple(
        {**report, **extra.get(str(report.get("name")), {})}
        for report in document.get("intents") or ()
    )
    return Fleet(
        key=key,
        title=title,
        revision=str(document.get("revision") or ""),
        at=str(document.get("at") or ""),
        rings=tuple(document.get("rings") or ()),
        intents=intents,
    )


def audit_records(path: Path, intent: str, limit: int = MAX_AUDIT) -> list[dict[str, Any]]:
    """The newest ``limit`` audit records about ``intent``, oldest first."""
    if not path.is_file():
        return []
    found: list[dict[str, Any]] = []
    with path.open("rb") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # eucora audit verify names broken lines; a page shows the rest
            if isinstance(record, dict) and record.get("intent") == intent:
                found.append(record)
                if len(found) > limit:
                    del found[0]
    return found


class StateFileSource:
    """The standalone reconciler's state store and audit log."""

    def __init__(self, state: Path, audit: Path | None = None, *, title: str = "") -> None:
        self.state = state
        self.audit = audit if audit is not None else state.parent / "audit.jsonl"
        self.title = title or str(state)

    def _read(self) -> list[Fleet]:
        store = StateStore(self.state, read_only=True)
        try:
            document = store.meta(REPORT_META)
            extra = {
                record.intent: {
                    "ringEnteredAt": record.entered_at.isoformat() if record.entered_at else None,
                    "reachedRings": list(store.ring(record.intent).reached),
                }
                for record in store.records()
            }
        finally:
            store.close()
        if document is None:
            return [Fleet("local", self.title, "", "", (), (), note="no pass applied yet")]
        return [fleet_from_report("local", self.title, json.loads(document), extra)]

    async def fleets(self) -> list[Fleet]:
        return await asyncio.to_thread(self._read)

    def _trail(self, intent: str) -> Trail:
        store = StateStore(self.state, read_only=True)
        try:
            history = tuple(history_entry(entry) for entry in store.history(intent))
        finally:
            store.close()
        return Trail(history, tuple(audit_records(self.audit, intent)))

    async def trail(self, fleet: str, intent: str) -> Trail:
        return await asyncio.to_thread(self._trail, intent)


def history_entry(entry: RingEntry) -> dict[str, Any]:
    return {"ring": entry.ring, "enteredAt": entry.entered_at.isoformat(),
            "decision": entry.decision}  # fmt: skip
