"""What the reconciler remembers about trust between passes, in the state store's meta.

- ``first_seen``: when a signed document (by payload digest) was first seen; signature
  and key validity are judged at that time, so neither a backdated commit nor a later
  revocation with ``valid-before`` changes the verdict of an approval seen before it.
- ``withdrawn``: signed withdrawals (a principal's later ``rejected`` decision); a
  force-push that removes the rejection does not bring the approval back.
- ``trusted``: the last trusted version of each governed document (kind/name → digest
  and content); the engine keeps using it while a loosening change waits for approval.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reconciler.domain.documents.models import parse_datetime
from reconciler.engine._state import Store

_FIRST_SEEN, _WITHDRAWN, _TRUSTED = "trust.first_seen", "trust.withdrawn", "trust.trusted"

WithdrawalKey = tuple[str, str, str | None]


@dataclass(slots=True)
class TrustMemory:
    first_seen: dict[str, datetime] = field(default_factory=dict)
    withdrawn: dict[WithdrawalKey, datetime] = field(default_factory=dict)
    trusted: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Store) -> TrustMemory:
        def read(key: str) -> Any:
            text = store.meta(key)
            return json.loads(text) if text else None

        first = read(_FIRST_SEEN) or {}
        withdrawn = read(_WITHDRAWN) or []
        return cls(
            first_seen={k: parse_datetime(v) for k, v in first.items()},
            withdrawn={(w[0], w[1], w[2]): parse_datetime(w[3]) for w in withdrawn},
            trusted=dict(read(_TRUSTED) or {}),
        )

    def see(self, keys: Mapping[str, datetime]) -> None:
        for key, when in keys.items():
            self.first_seen.setdefault(key, when)

    def withdraw(self, withdrawals: Mapping[WithdrawalKey, datetime]) -> None:
        for key, when in withdrawals.items():
            if key not in self.withdrawn or self.withdrawn[key] < when:
                self.withdrawn[key] = when

    def save(self, store: Store) -> None:
        store.set_meta(
            _FIRST_SEEN, json.dumps({k: v.isoformat() for k, v in sorted(self.first_seen.items())})
        )
        store.set_meta(
            _WITHDRAWN,
            json.dumps([[*k, v.isoformat()] for k, v in sorted(self.withdrawn.items(), key=str)]),
        )
        store.set_meta(_TRUSTED, json.dumps(self.trusted, sort_keys=True, default=str))
