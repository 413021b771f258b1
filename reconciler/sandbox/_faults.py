"""Fault injection for the sandbox: a deterministic, seedable spec of failures per path.

Sits in front of every emulated endpoint (Graph, Jamf, blob storage, token endpoints; never
``/_sandbox/``). Grammar (comma-separated rules)::

    RULE   := KIND "@" PATTERN ":" RATE
    KIND   := "429" | "500" | "503" | "slow=" DURATION | "reset" | "token-expiry"
    PATTERN:= fnmatch glob on the request path, e.g. ``/v1.0/deviceAppManagement/*`` or ``*``
    RATE   := probability in [0, 1]

The decision for a request depends only on the seed, the rule and how many requests with
the same method and path that rule has seen, so a given seed and request sequence always
fails the same way, whatever other paths run concurrently.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field

FAULT_KINDS = ("429", "500", "503", "slow", "reset", "token-expiry")
_DURATION = re.compile(r"^(?P<n>\d+(?:\.\d+)?)(?P<unit>ms|s)?$")


class FaultSpecError(ValueError):
    """The ``--faults`` text does not follow the grammar."""


@dataclass(frozen=True, slots=True)
class FaultRule:
    kind: str
    pattern: str
    rate: float
    delay_seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return fnmatch.fnmatchcase(path, self.pattern)


def parse_faults(text: str | None) -> tuple[FaultRule, ...]:
    if not text or not text.strip():
        return ()
    rules = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        head, sep, rest = part.partition("@")
        pattern, sep2, rate_text = rest.rpartition(":")
        if not sep or not sep2 or not pattern:
            raise FaultSpecError(f"fault rule {part!r}: expected KIND@PATTERN:RATE")
        try:
            rate = float(rate_text)
        except ValueError:
            raise FaultSpecError(
                f"fault rule {part!r}: rate {rate_text!r} is not a number"
            ) from None
        if not 0.0 <= rate <= 1.0:
            raise FaultSpecError(f"fault rule {part!r}: rate must be between 0 and 1")
        delay = 0.0
        kind = head
        if head.startswith("slow"):
            kind = "slow"
            _, _, duration = head.partition("=")
            match = _DURATION.match(duration or "1s")
            if match is None:
                raise FaultSpecError(f"fault rule {part!r}: duration {duration!r} (e.g. 2s, 500ms)")
            delay = float(match["n"]) / (1000.0 if match["unit"] == "ms" else 1.0)
        if kind not in FAULT_KINDS:
            raise FaultSpecError(
                f"fault rule {part!r}: unknown kind {head!r} (one of {', '.join(FAULT_KINDS)})"
            )
        rules.append(FaultRule(kind, pattern, rate, delay))
    return tuple(rules)


@dataclass
class FaultInjector:
    rules: tuple[FaultRule, ...] = ()
    seed: int = 0
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    injected: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def decide(self, method: str, path: str) -> list[FaultRule]:
        """The faults that hit this request (at most one failing kind, plus any slowness)."""
        hits: list[FaultRule] = []
        failing = False
        for index, rule in enumerate(self.rules):
            if rule.rate <= 0 or not rule.matches(path):
                continue
            key = f"{index}|{method}|{path}"
            n = self.counts[key]
            self.counts[key] = n + 1
            if _unit(self.seed, key, n) >= rule.rate:
                continue
            if rule.kind == "slow":
                hits.append(rule)
            elif not failing:
                failing = True
                hits.append(rule)
            self.injected[rule.kind] += 1
        return hits

    def reset(self) -> None:
        self.counts.clear()
        self.injected.clear()


def _unit(seed: int, key: str, n: int) -> float:
    digest = hashlib.sha256(f"{seed}|{key}|{n}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
