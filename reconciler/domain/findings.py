"""Findings: every problem the loader or a check reports about the fleet repo.

A finding names the file, line and column, the JSON pointer of the offending field and a
stable ``code`` that CI annotations and tests key on. Loading never stops at the first
finding: callers get all of them, sorted by location.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Code(enum.StrEnum):
    """Stable finding codes. Documented in ``docs/findings.md``."""

    # file level
    FILE_TOO_LARGE = "file-too-large"
    FILE_UNREADABLE = "file-unreadable"
    SYMLINK_ESCAPE = "symlink-escape"
    SYMLINK_REFUSED = "symlink-refused"
    ENCODING = "encoding"
    EMPTY_FILE = "empty-file"
    # YAML syntax
    YAML_SYNTAX = "yaml-syntax"
    YAML_TAB = "yaml-tab"
    YAML_DUPLICATE_KEY = "duplicate-key"
    YAML_TOO_COMPLEX = "yaml-too-complex"
    YAML_UNSUPPORTED = "yaml-unsupported"
    # document shape
    NOT_A_MAPPING = "not-a-mapping"
    UNKNOWN_API_VERSION = "unknown-api-version"
    UNKNOWN_KIND = "unknown-kind"
    MISSING_FIELD = "missing-field"
    UNKNOWN_FIELD = "unknown-field"
    WRONG_TYPE = "wrong-type"
    INVALID_VALUE = "invalid-value"
    INVALID_FORMAT = "invalid-format"
    OUT_OF_RANGE = "out-of-range"
    SCHEMA = "schema"
    PATH_ESCAPE = "path-escape"
    TODO_VALUE = "todo-value"
    LEGACY_RING_GROUPS = "legacy-ring-groups"
    # across documents
    DUPLICATE_NAME = "duplicate-name"
    MISSING_FLEET_CONFIG = "missing-fleet-config"
    MULTIPLE_FLEET_CONFIGS = "multiple-fleet-configs"
    DUPLICATE_RING = "duplicate-ring"
    UNKNOWN_RING = "unknown-ring"
    UNKNOWN_INTENT = "unknown-intent"
    UNKNOWN_EXCEPTION = "unknown-exception"
    UNKNOWN_FREEZE_WINDOW = "unknown-freeze-window"
    UNKNOWN_RISK_MODEL = "unknown-risk-model"
    UNKNOWN_FACTOR = "unknown-factor"
    DUPLICATE_FACTOR = "duplicate-factor"
    WEIGHTS_SUM = "weights-sum"
    MATURITY_LEVELS = "maturity-levels"
    INVALID_WINDOW = "invalid-window"
    INVALID_CONNECTIVITY = "invalid-connectivity"
    GATE_LOOSENED = "gate-loosened"
    SELF_REFERENCE = "self-reference"
    # package files (``validate`` and ``plan`` check them)
    PACKAGE_MISSING = "package-missing"
    PACKAGE_SHA256_MISMATCH = "package-sha256-mismatch"
    PACKAGE_SIZE_MISMATCH = "package-size-mismatch"
    PACKAGE_LFS_POINTER = "package-lfs-pointer"
    PACKAGE_SOURCE_INVALID = "package-source-invalid"
    PACKAGE_UNPINNED = "package-unpinned"
    PACKAGE_UNREACHABLE = "package-unreachable"
    EVIDENCE_MISMATCH = "evidence-mismatch"
    GOVERNANCE_PENDING = "governance-pending"


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    """One problem at one place. ``line``/``column`` are 1-based; None means the whole file."""

    file: str
    line: int | None
    column: int | None
    path: str
    code: str
    message: str
    severity: str = Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def location(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.file, f.line or 0, f.column or 0, f.code, f.path))


def json_pointer(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """RFC 6901 pointer for a path of keys and indexes."""
    if not parts:
        return ""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "/" + "/".join(escaped)
