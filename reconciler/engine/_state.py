"""The state store: what the tenants do not hold, kept between passes.

Read at the start of a pass (ring reached and since when, what was last applied) and
written in the ``record`` step and after each applied intent. :class:`Store` is what the
engine needs. Standalone mode uses :class:`StateStore`, SQLite in one file
(``.eucora/state.db`` by default), where every change is its own transaction, so a process
killed between two writes leaves the store at the last completed step. The operator's
in-memory store, persisted through the custom resources' statuses, is
:mod:`reconciler.engine._memory_store`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from reconciler.domain.compliance import CheckInHistory
from reconciler.domain.errors import StateStoreError
from reconciler.domain.plan import Applied
from reconciler.domain.progress import StoredRing
from reconciler.domain.rollback import RollbackEvidence
from reconciler.domain.tenant import Assignment, AssignmentIntent, Platform, TargetKind

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rings (
    intent TEXT PRIMARY KEY,
    ring TEXT,
    entered_at TEXT,
    rolled_back_digest TEXT,
    reached TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ring_history (
    intent TEXT NOT NULL,
    ring TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    decision TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
    intent TEXT NOT NULL,
    ring TEXT NOT NULL,
    kind TEXT NOT NULL,
    allow INTEGER NOT NULL,
    detail TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (intent, ring, kind)
);
CREATE TABLE IF NOT EXISTS device_history (
    device TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rollbacks (
    build TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS applied (
    intent TEXT NOT NULL,
    platform TEXT NOT NULL,
    digest TEXT NOT NULL,
    assignments TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (intent, platform)
);
"""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class RingEntry:
    ring: str
    entered_at: datetime
    decision: dict[str, Any]

    @classmethod
    def of(cls, stored: StoredRing, entered: dict[str, Any] | None) -> RingEntry | None:
        """The history entry a ``save_ring`` records: one when ``entered`` (the gate
        decision) says the intent just entered ``stored``'s ring."""
        if entered is None or stored.ring is None or not stored.entered_at:
            return None
        return cls(stored.ring, stored.entered_at, entered)


@dataclass(frozen=True, slots=True)
class IntentRecord:
    """An intent's row: ring, state and reason of the last pass."""

    intent: str
    ring: str | None
    entered_at: datetime | None
    state: str
    reason: str


class Store(Protocol):
    """What a pass reads and writes between passes."""

    def ring(self, intent: str) -> StoredRing: ...

    def save_ring(
        self,
        intent: str,
        stored: StoredRing,
        *,
        state: str,
        reason: str,
        now: datetime,
        entered: dict[str, Any] | None = None,
    ) -> None: ...

    def save_decision(
        self, intent: str, ring: str, kind: str, detail: dict[str, Any], now: datetime
    ) -> bool: ...

    def applied(self) -> dict[tuple[str, Platform], Applied]: ...

    def save_applied(
        self, intent: str, platform: Platform, applied: Applied, now: datetime
    ) -> None: ...

    def forget(self, intent: str) -> None: ...

    def intents(self) -> set[str]: ...

    def meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def device_histories(self) -> dict[str, CheckInHistory]: ...

    def save_device_histories(self, histories: Mapping[str, CheckInHistory]) -> None: ...

    def rollback_evidence(self, build: str) -> RollbackEvidence | None: ...

    def save_rollback_evidence(self, evidence: RollbackEvidence) -> None: ...

    def ring_entries(self) -> list[tuple[str, RingEntry]]: ...


class StateStore:
    """SQLite-backed state of the standalone reconciler. ``:memory:`` works for dry runs."""

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        """``read_only`` opens an existing store for reading only (the dashboard): no
        schema is created, a missing file is an error, a running loop is not blocked."""
        self.path = str(path)
        try:
            if read_only:
                if not Path(self.path).is_file():
                    raise StateStoreError(f"state store {self.path} does not exist")
                uri = f"{Path(self.path).resolve().as_uri()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None)
            else:
                if self.path != ":memory:":
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.executescript(_SCHEMA)
            version = self.meta("schema_version")
            if version is None and not read_only:
                self.set_meta("schema_version", str(SCHEMA_VERSION))
            elif version != str(SCHEMA_VERSION):
                raise StateStoreError(
                    f"state store {self.path} has schema {version}; this version reads "
                    f"{SCHEMA_VERSION}"
                )
        except sqlite3.Error as exc:
            raise StateStoreError(f"state store {self.path} is unusable: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            yield self._db
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._db.execute("ROLLBACK")
            raise StateStoreError(f"state store {self.path}: {exc}") from exc
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    # ---------------------------------------------------------------- meta
    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def last_applied_revision(self) -> str | None:
        return self.meta("last_applied_revision")

    # ---------------------------------------------------------------- rings
    def ring(self, intent: str) -> StoredRing:
        row = self._db.execute(
            "SELECT ring, entered_at, rolled_back_digest, reached FROM rings WHERE intent = ?",
            (intent,),
        ).fetchone()
        if row is None:
            return StoredRing(None)
        return StoredRing(row[0], _moment(row[1]), row[2], tuple(json.loads(row[3])))

    def records(self) -> list[IntentRecord]:
        rows = self._db.execute(
            "SELECT intent, ring, entered_at, state, reason FROM rings ORDER BY intent"
        ).fetchall()
        return [IntentRecord(r[0], r[1], _moment(r[2]), r[3], r[4]) for r in rows]

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
        """Remember where the intent stands; ``entered`` records a ring entry in the history."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO rings (intent, ring, entered_at, rolled_back_digest, "
                "reached, state, reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    intent,
                    stored.ring,
                    _iso(stored.entered_at) if stored.entered_at else None,
                    stored.rolled_back_digest,
                    json.dumps(list(stored.reached)),
                    state,
                    reason,
                    _iso(now),
                ),
            )
            if (entry := RingEntry.of(stored, entered)) is not None:
                db.execute(
                    "INSERT INTO ring_history (intent, ring, entered_at, decision) "
                    "VALUES (?, ?, ?, ?)",
                    (intent, entry.ring, _iso(entry.entered_at), json.dumps(entry.decision)),
                )

    def history(self, intent: str) -> list[RingEntry]:
        rows = self._db.execute(
            "SELECT ring, entered_at, decision FROM ring_history WHERE intent = ? ORDER BY rowid",
            (intent,),
        ).fetchall()
        return [RingEntry(r[0], datetime.fromisoformat(r[1]), json.loads(r[2])) for r in rows]

    # ---------------------------------------------------------------- decisions
    def last_decision(self, intent: str, ring: str, kind: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT detail FROM decisions WHERE intent = ? AND ring = ? AND kind = ?",
            (intent, ring, kind),
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def save_decision(
        self, intent: str, ring: str, kind: str, detail: dict[str, Any], now: datetime
    ) -> bool:
        """Store the latest decision; True when it differs from the one before."""
        previous = self.last_decision(intent, ring, kind)
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO decisions (intent, ring, kind, allow, detail, decided_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (intent, ring, kind, int(bool(detail.get("allow"))), json.dumps(detail), _iso(now)),
            )
        return previous != detail

    # ---------------------------------------------------------------- applied
    def applied(self) -> dict[tuple[str, Platform], Applied]:
        rows = self._db.execute(
            "SELECT intent, platform, digest, assignments FROM applied"
        ).fetchall()
        return {(r[0], Platform(r[1])): Applied(r[2], _assignments(json.loads(r[3]))) for r in rows}

    def save_applied(
        self, intent: str, platform: Platform, applied: Applied, now: datetime
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO applied (intent, platform, digest, assignments, "
                "applied_at) VALUES (?, ?, ?, ?, ?)",
                (
                    intent,
                    platform.value,
                    applied.digest,
                    json.dumps(
                        [[a.target.value, a.group_id, a.intent.value] for a in applied.assignments]
                    ),
                    _iso(now),
                ),
            )

    def forget(self, intent: str) -> None:
        """Drop an intent that left Git (its history stays in the audit log)."""
        with self._transaction() as db:
            for table in ("rings", "decisions", "applied"):
                db.execute(f"DELETE FROM {table} WHERE intent = ?", (intent,))  # noqa: S608

    def intents(self) -> set[str]:
        rows = self._db.execute("SELECT intent FROM rings UNION SELECT intent FROM applied")
        return {r[0] for r in rows.fetchall()}

    # ---------------------------------------------------------------- devices, rollbacks
    def device_histories(self) -> dict[str, CheckInHistory]:
        rows = self._db.execute("SELECT device, data FROM device_history").fetchall()
        return {r[0]: CheckInHistory.from_dict(json.loads(r[1])) for r in rows}

    def save_device_histories(self, histories: Mapping[str, CheckInHistory]) -> None:
        """Store the histories given (the devices whose history changed), in one step."""
        if not histories:
            return
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO device_history (device, data) VALUES (?, ?)",
                [(device, json.dumps(h.to_dict())) for device, h in sorted(histories.items())],
            )

    def rollback_evidence(self, build: str) -> RollbackEvidence | None:
        row = self._db.execute("SELECT data FROM rollbacks WHERE build = ?", (build,)).fetchone()
        return None if row is None else RollbackEvidence.from_dict(json.loads(row[0]))

    def save_rollback_evidence(self, evidence: RollbackEvidence) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO rollbacks (build, data) VALUES (?, ?)",
                (evidence.build, json.dumps(evidence.to_dict())),
            )

    def ring_entries(self) -> list[tuple[str, RingEntry]]:
        """Every ring entry recorded, oldest first (intents that left Git included)."""
        rows = self._db.execute(
            "SELECT intent, ring, entered_at, decision FROM ring_history ORDER BY rowid"
        ).fetchall()
        return [
            (r[0], RingEntry(r[1], datetime.fromisoformat(r[2]), json.loads(r[3]))) for r in rows
        ]


def _assignments(rows: Sequence[Sequence[Any]]) -> tuple[Assignment, ...]:
    return tuple(sorted(Assignment(TargetKind(t), g, AssignmentIntent(i)) for t, g, i in rows))
