"""Deployment history for trust maturity: the ring entries the engine recorded.

Read by ``eucora maturity`` from the standalone state store (``ring_history``) or, when
only the audit log is at hand (an operator's, a copy kept for audits), from its
``ring-entered`` records after the log's hash chain verified. Either way the result is the
domain's :class:`~reconciler.domain.evaluation.maturity.Deployment` list.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from reconciler.domain.errors import StateStoreError
from reconciler.domain.evaluation.maturity import Deployment
from reconciler.engine._audit import verify_audit_log
from reconciler.engine._state import StateStore


def deployments_from_state(path: Path) -> list[Deployment]:
    """Every ring entry in a state store file (refuses a path that is not one)."""
    if not path.is_file():
        raise StateStoreError(f"state store {path} does not exist")
    store = StateStore(path)
    try:
        return [
            Deployment(intent, entry.ring, entry.entered_at)
            for intent, entry in store.ring_entries()
        ]
    finally:
        store.close()


def deployments_from_audit(path: Path) -> list[Deployment]:
    """Every ``ring-entered`` record of an audit log whose chain verifies."""
    check = verify_audit_log(path)
    if not check.ok:
        raise StateStoreError(
            f"audit log {path} does not verify at line {check.line}: {check.problem}"
        )
    result = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("event") == "ring-entered" and record.get("ring"):
            result.append(
                Deployment(
                    str(record["intent"]),
                    str(record["ring"]),
                    datetime.fromisoformat(record["time"]),
                )
            )
    return result
