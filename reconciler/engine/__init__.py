"""Reconcile service: fetch → load → evaluate → observe → gate → plan → apply → record.

Public API: :class:`Reconciler` (one pass per call to :meth:`Reconciler.reconcile`),
its :class:`PassResult` / :class:`IntentReport` and the :class:`Event` s a pass's changes
make (:func:`intent_events`), the :class:`Store` it keeps between
passes (:class:`StateStore` on SQLite, :class:`MemoryStateStore` for the operator), the
hash-chained :class:`AuditLog` with :func:`verify_audit_log`, and :func:`open_revision`
(a revision loaded once, handed to :meth:`Reconciler.reconcile_loaded`). The adapters are
chosen by the composition root, ``reconciler.compose``. See ``docs/engine.md``.
"""

from reconciler.engine._audit import AuditLog, AuditVerification, verify_audit_log
from reconciler.engine._context import PassContext, PassPorts
from reconciler.engine._events import (
    Event,
    drift_fields,
    event_basis,
    gate_fields,
    hold_key,
    intent_events,
)
from reconciler.engine._history import deployments_from_audit, deployments_from_state
from reconciler.engine._load import LoadedRevision, open_revision
from reconciler.engine._memory import TrustMemory
from reconciler.engine._memory_store import IntentState, MemoryStateStore
from reconciler.engine._records import ApplyOutcome, EvaluatedIntent, GateFacts
from reconciler.engine._report import IntentReport, PassResult, RingHealth, approve_commands
from reconciler.engine._service import REPORT_META, Reconciler, utc_now
from reconciler.engine._state import RingEntry, StateStore, Store
from reconciler.engine._steps import STEPS, Step
from reconciler.engine._trusted import PolicySource, UntrustedRevisionError, read_policy_files

__all__ = [
    "REPORT_META",
    "STEPS",
    "ApplyOutcome",
    "AuditLog",
    "AuditVerification",
    "EvaluatedIntent",
    "Event",
    "GateFacts",
    "IntentReport",
    "IntentState",
    "LoadedRevision",
    "MemoryStateStore",
    "PassContext",
    "PassPorts",
    "PassResult",
    "PolicySource",
    "Reconciler",
    "RingEntry",
    "RingHealth",
    "StateStore",
    "Step",
    "Store",
    "TrustMemory",
    "UntrustedRevisionError",
    "approve_commands",
    "deployments_from_audit",
    "deployments_from_state",
    "drift_fields",
    "event_basis",
    "gate_fields",
    "hold_key",
    "intent_events",
    "open_revision",
    "read_policy_files",
    "utc_now",
    "verify_audit_log",
]
