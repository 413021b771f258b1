"""Fault injection for the sandbox: a deterministic, seedable spec of what goes wrong where.

Grammar (comma-separated rules)::

    RULE    := KIND [ "=" ARG ] "@" PATTERN ":" RATE
    KIND    := 429 | 500 | 502 | 503 | slow | reset | token-expiry
    ARG     := seconds (Retry-After for 429/503, delay for slow)
    PATTERN := a glob on the request path, e.g. /v1.0/deviceAppManagement/* or *
    RATE    := probability in [0, 1]

Example: ``429=2@/v1.0/*:0.1,503@*:0.05,slow=3@/v1.0/$batch:0.2,reset@*:0.02``.
Rules are tried in order for every request; the first whose pattern matches and whose
draw falls under its rate fires. Draws come from one generator seeded by ``seed``, so the
same requests in the same order meet the same faults.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fnmatch import fnmatchcase

KINDS = frozenset({"429", "500", "502", "503", "slow", "reset", "token-expiry"})


class FaultSpecError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class FaultRule:
    kind: str
    pattern: str
    rate: float
    arg: float | None = None


def parse_faults(spec: str) -> tuple[FaultRule, ...]:
    rules = []
    for raw in (part.strip() for part in spec.split(",")):
        if not raw:
            continue
        head, at, rest = raw.partition("@")
        pattern, colon, rate_text = rest.rpartition(":")
        if not at or not colon or not pattern:
            raise FaultSpecError(f"fault rule {raw!r}: expected KIND[=ARG]@PATTERN:RATE")
        kind, _, arg_text = head.partition("=")
        if kind not in KINDS:
            raise FaultSpecError(
                f"fault rule {raw!r}: unknown kind {kind!r} ({', '.join(sorted(KINDS))})"
            )
        try:
            rate = float(rate_text)
            arg = float(arg_text) if arg_text else None
        except ValueError as exc:
            raise FaultSpecError(f"fault rule {raw!r}: rate and argument must be numbers") from exc
        if not 0 <= rate <= 1:
            raise FaultSpecError(f"fault rule {raw!r}: rate must be between 0 and 1")
        rules.append(FaultRule(kind, pattern, rate, arg))
    return tuple(rules)


class FaultPlan:
    def __init__(self, rules: tuple[FaultRule, ...] = (), seed: int = 0) -> None:
        self.rules = rules
        self._random = random.Random(seed)
        self.fired: dict[str, int] = {}

    def pick(self, path: str) -> FaultRule | None:
        for rule in self.rules:
            if fnmatchcase(path, rule.pattern) and self._random.random() < rule.rate:
                self.fired[rule.kind] = self.fired.get(rule.kind, 0) + 1
                return rule
        return None
