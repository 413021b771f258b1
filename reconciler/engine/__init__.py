"""Reconcile service: fetch → load → evaluate → observe → gate → plan → apply → record.

Public API: :class:`Reconciler` (one pass per call to :meth:`Reconciler.reconcile`),
its :class:`PassResult` / :class:`IntentReport`, the :class:`Store` it keeps between
passes (:class:`StateStore` on SQLite, :class:`MemoryStateStore` for the operator), the
hash-chained :class:`AuditLog` with :func:`verify_audit_log`, and the wiring helpers
that build connectors for a tenant file or the sandbox. See ``docs/engine.md``.
"""

from reconciler.engine._audit import AuditLog, AuditVerification, verify_audit_log
from reconciler.engine._history import deployments_from_audit, deployments_from_state
from reconciler.engine._report import IntentReport, PassResult
from reconciler.engine._service import Reconciler, utc_now
from reconciler.engine._state import IntentState, MemoryStateStore, RingEntry, StateStore, Store

__all__ = [
    "AuditLog",
    "AuditVerification",
    "IntentReport",
    "IntentState",
    "MemoryStateStore",
    "PassResult",
    "Reconciler",
    "RingEntry",
    "StateStore",
    "Store",
    "deployments_from_audit",
    "deployments_from_state",
    "utc_now",
    "verify_audit_log",
]
