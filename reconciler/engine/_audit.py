"""The audit log: every decision and every write, append-only and hash-chained.

Written in the ``record`` step of a pass (decisions) and by ``apply`` (each write, before
and after). JSON Lines; each record carries ``prev``, the sha256 of the previous record's
line, so editing, removing or reordering a record breaks the chain, and
:func:`verify_audit_log` (``eucora audit verify``) says at which line. The hash of the last
record is also kept elsewhere (the state store; a GitSource's ``status.audit`` in the
operator), so cutting records off the end, or losing the file, is caught too.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.domain.errors import StateStoreError

GENESIS = "0" * 64
_FIELDS = ("seq", "time", "event", "actor", "revision", "correlationId", "prev")


def _line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def _encode(record: Mapping[str, Any]) -> bytes:
    return (
        json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        + "\n"
    ).encode()


class AuditLog:
    """Appends records to a JSON Lines file, each carrying the previous record's sha256."""

    def __init__(self, path: Path | str, *, actor: str) -> None:
        self.path = Path(path)
        self.actor = actor
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._seq, self._last = self._tail()

    def _tail(self) -> tuple[int, str]:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return 0, GENESIS
        with self.path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 65536))
            lines = handle.read().splitlines()
        if not lines:
            return 0, GENESIS
        last = lines[-1]
        try:
            seq = int(json.loads(last)["seq"])
        except (ValueError, KeyError, TypeError) as exc:
            raise StateStoreError(
                f"audit log {self.path}: the last record is unreadable; run eucora audit verify"
            ) from exc
        return seq, _line_hash(last)

    @property
    def head(self) -> str:
        """sha256 of the last record (``GENESIS`` for an empty log)."""
        return self._last

    @property
    def records(self) -> int:
        return self._seq

    def append(
        self,
        event: str,
        *,
        revision: str = "",
        correlation_id: str = "",
        intent: str | None = None,
        now: datetime | None = None,
        **data: Any,
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "seq": self._seq + 1,
            "time": (now or datetime.now(UTC)).astimezone(UTC).isoformat(),
            "event": event,
            "actor": self.actor,
            "revision": revision,
            "correlationId": correlation_id,
            "prev": self._last,
        }
        if intent is not None:
            record["intent"] = intent
        record.update({k: v for k, v in data.items() if k not in _FIELDS})
        line = _encode(record)
        try:
            with self.path.open("ab") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise StateStoreError(f"audit log {self.path}: {exc.strerror}") from exc
        self._seq += 1
        self._last = _line_hash(line)
        return record


@dataclass(frozen=True, slots=True)
class AuditVerification:
    path: str
    records: int
    ok: bool
    head: str
    line: int | None = None
    problem: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "records": self.records,
            "ok": self.ok,
            "head": self.head,
            "line": self.line,
            "problem": self.problem,
        }


def verify_audit_log(path: Path | str, *, expected_head: str | None = None) -> AuditVerification:
    """Walk the chain; the first broken link names its line. ``expected_head``, the hash
    of the last record some other store saw, must be in the chain: that catches records cut
    off the end, or a log replaced by another. The log may go on past it (the writer can
    stop between appending and saving the head)."""
    path = Path(path)
    previous, count = GENESIS, 0
    anchored = expected_head in (None, GENESIS)
    if not path.exists():
        return AuditVerification(str(path), 0, False, GENESIS, None, "no audit log at this path")
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            problem = _link_problem(line, previous, count + 1)
            if problem:
                return AuditVerification(str(path), count, False, previous, number, problem)
            previous, count = _line_hash(line), count + 1
            anchored = anchored or previous == expected_head
    if not anchored:
        return AuditVerification(
            str(path), count, False, previous, count,
            f"no record hashes to the last head seen elsewhere ({str(expected_head)[:12]}): "
            "records were removed from the end or the log was replaced",
        )  # fmt: skip
    return AuditVerification(str(path), count, True, previous)


def _link_problem(line: bytes, previous: str, seq: int) -> str:
    """What is wrong with one record as the link after ``previous`` ("" if nothing)."""
    try:
        record = json.loads(line)
    except ValueError:
        return "not a JSON record"
    if not isinstance(record, dict):
        return "not a JSON object"
    if record.get("prev") != previous:
        return "prev does not match the sha256 of the record before"
    if record.get("seq") != seq:
        return f"seq {record.get('seq')!r} where {seq} was expected"
    return ""
