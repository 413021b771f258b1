"""The status patch of one GitSource handler run, written on top of the status it had.

Conditions set in a run are merged with the ones already set in it and the object's
own (``lastTransitionTime`` kept unless a condition flips); :meth:`SourceStatus.finish`
stamps the generation they were computed for and drops what would change nothing, so a
quiet tick sends no patch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, MutableMapping
from typing import Any

from reconciler.domain.errors import EucoraError
from reconciler.operator._status import drop_unchanged, merge_conditions


class SourceStatus:
    def __init__(self, patch: MutableMapping[str, Any], current: Mapping[str, Any]) -> None:
        self.patch, self.current = patch, current

    def __setitem__(self, key: str, value: Any) -> None:
        self.patch[key] = value

    def condition(self, kind: str, value: str, reason: str, message: str) -> None:
        previous = self.patch.get("conditions") or self.current.get("conditions") or []
        condition = {"type": kind, "status": value, "reason": reason, "message": message}
        self.patch["conditions"] = merge_conditions(
            previous, [condition], generation=None, now=dt.datetime.now(dt.UTC)
        )

    def not_ready(self, error: EucoraError) -> None:
        """A fetch or materialization failed: neither fetched nor ready, for this reason."""
        self.condition("Fetched", "False", error.reason, str(error))
        self.condition("Ready", "False", error.reason, str(error))

    def finish(self, generation: int | None) -> None:
        """Conditions set in this run were computed for this generation of the spec; what
        would change nothing is left out."""
        if generation is not None and "conditions" in self.patch:
            self.patch["observedGeneration"] = generation
            self.patch["conditions"] = [
                {**c, "observedGeneration": generation} for c in self.patch["conditions"]
            ]
        drop_unchanged(self.patch, self.current)
