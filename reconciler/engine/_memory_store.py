"""The operator's state store: intent records in memory, persisted through the status.

Read and written by the same steps as :class:`~reconciler.engine._state.StateStore`.
Each intent's record is copied into its custom resource's status after every pass
(:meth:`MemoryStateStore.export`) and read back from there (:meth:`MemoryStateStore.restore`)
by whichever replica runs the next one; device check-in histories stay in the process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from reconciler.domain.compliance import CheckInHistory
from reconciler.domain.plan import Applied
from reconciler.domain.progress import StoredRing
from reconciler.domain.rollback import RollbackEvidence
from reconciler.domain.tenant import Platform
from reconciler.engine._state import RingEntry


@dataclass(frozen=True, slots=True)
class IntentState:
    """Everything the store holds of one intent, as the operator copies it to a status.

    ``as_of`` is when it was last written: the newer of two copies (a replica's memory, a
    status another replica wrote) wins.
    """

    ring: StoredRing
    history: tuple[RingEntry, ...] = ()
    applied: tuple[tuple[Platform, Applied], ...] = ()
    as_of: datetime | None = None
    #: the rollback of the intent's build seen to succeed (rollback-validated's evidence)
    rollback: RollbackEvidence | None = None


class MemoryStateStore:
    """The operator's store: intent records in memory, persisted through the status."""

    def __init__(self) -> None:
        self._states: dict[str, IntentState] = {}
        self._decisions: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._meta: dict[str, str] = {}
        #: fleet-wide, not per intent: kept by the process (a new replica relearns them)
        self._devices: dict[str, CheckInHistory] = {}

    def ring(self, intent: str) -> StoredRing:
        state = self._states.get(intent)
        return StoredRing(None) if state is None else state.ring

    def save_ring(
        self,
        intent: str,
        stored: StoredRing,
        *,
        state: str,
        reason: str,
        now: datetime,
        entered: dict[str, Any] | None = None,
    ) -> None:
        current = self._states.get(intent, IntentState(StoredRing(None)))
        history = current.history
        if (entry := RingEntry.of(stored, entered)) is not None:
            history = (*history, entry)
        self._states[intent] = IntentState(stored, history, current.applied, now, current.rollback)

    def save_decision(
        self, intent: str, ring: str, kind: str, detail: dict[str, Any], now: datetime
    ) -> bool:
        previous = self._decisions.get((intent, ring, kind))
        self._decisions[intent, ring, kind] = detail
        return previous != detail

    def applied(self) -> dict[tuple[str, Platform], Applied]:
        return {
            (intent, platform): applied
            for intent, state in self._states.items()
            for platform, applied in state.applied
        }

    def save_applied(
        self, intent: str, platform: Platform, applied: Applied, now: datetime
    ) -> None:
        current = self._states.get(intent, IntentState(StoredRing(None)))
        others = tuple((p, a) for p, a in current.applied if p is not platform)
        merged = tuple(sorted((*others, (platform, applied)), key=lambda item: item[0].value))
        self._states[intent] = IntentState(
            current.ring, current.history, merged, now, current.rollback
        )

    def forget(self, intent: str) -> None:
        self._states.pop(intent, None)
        for key in [k for k in self._decisions if k[0] == intent]:
            del self._decisions[key]

    def intents(self) -> set[str]:
        return set(self._states)

    def meta(self, key: str) -> str | None:
        return self._meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self._meta[key] = value

    def device_histories(self) -> dict[str, CheckInHistory]:
        return dict(self._devices)

    def save_device_histories(self, histories: Mapping[str, CheckInHistory]) -> None:
        self._devices.update(histories)

    def rollback_evidence(self, build: str) -> RollbackEvidence | None:
        """Kept with the intent that was rolled back, so it lives in that intent's status."""
        found = [
            s.rollback for s in self._states.values() if s.rollback and s.rollback.build == build
        ]
        return max(found, key=lambda e: e.devices, default=None)

    def save_rollback_evidence(self, evidence: RollbackEvidence) -> None:
        current = self._states.get(evidence.intent, IntentState(StoredRing(None)))
        self._states[evidence.intent] = replace(current, rollback=evidence)

    def ring_entries(self) -> list[tuple[str, RingEntry]]:
        entries = [
            (intent, entry) for intent, state in self._states.items() for entry in state.history
        ]
        return sorted(entries, key=lambda item: item[1].entered_at)

    def export(self, intent: str) -> IntentState | None:
        return self._states.get(intent)

    def history(self, intent: str) -> list[RingEntry]:
        state = self._states.get(intent)
        return [] if state is None else list(state.history)

    def restore(self, intent: str, state: IntentState) -> bool:
        """Take ``state`` unless what is held is as new or newer; True when taken."""
        held = self._states.get(intent)
        if (
            held is not None
            and held.as_of is not None
            and (state.as_of is None or state.as_of <= held.as_of)
        ):
            return False
        self._states[intent] = state
        return True
