"""Exit codes of every ``eucora`` command: one table, documented in ``docs/cli.md``.

:data:`EXIT_CODES` is the single truth: ``_common`` maps errors onto it, ``docs/cli.md``
carries the same table (a test compares them) and ``--format json`` errors name the kind.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Exit(enum.IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    DENIED = 3
    TRANSIENT = 4
    AUTH_CONFIG = 5
    REJECTED = 6
    INTERNAL = 70
    INTERRUPTED = 130


@dataclass(frozen=True, slots=True)
class ExitCode:
    code: Exit
    kind: str
    meaning: str


EXIT_CODES: tuple[ExitCode, ...] = (
    ExitCode(Exit.OK, "ok", "success: clean, allowed, done"),
    ExitCode(
        Exit.FINDINGS,
        "findings",
        "findings or a failed check: validation findings, blocking plan findings (admission "
        "or policy deny, package problems), a broken audit chain, stale CRDs, a refused "
        "`approve` (not a member, role not held)",
    ),
    ExitCode(
        Exit.USAGE,
        "usage",
        "usage error: unknown option, bad value, a file named on the command line that does "
        "not exist, conflicting options",
    ),
    ExitCode(Exit.DENIED, "denied", "a gate denies (`eucora gate`)"),
    ExitCode(
        Exit.TRANSIENT,
        "transient",
        "transient: a tenant, git remote or policy server is unreachable, throttled or "
        "failing; retry later",
    ),
    ExitCode(
        Exit.AUTH_CONFIG,
        "auth-config",
        "authentication or configuration: credentials refused, a tenant file, kubeconfig "
        "or state store that cannot be used, no cluster reachable for `--cluster` or "
        "`operator run`",
    ),
    ExitCode(
        Exit.REJECTED,
        "rejected",
        "a tenant rejected a request for good (400/404/409/422): retrying the same will not help",
    ),
    ExitCode(Exit.INTERNAL, "internal", "internal error: a bug; the message says what failed"),
    ExitCode(Exit.INTERRUPTED, "interrupted", "interrupted (Ctrl-C)"),
)

KIND = {entry.code: entry.kind for entry in EXIT_CODES}
