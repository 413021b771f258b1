"""Out-of-band trust: the trust root and the signature facts approvals are judged on.

Governance's input, never the fleet repo's: the trust root (``trust-root.yaml`` beside the
signers file) says which principals hold which CAB roles, who approves changes to governed
documents and with what quorum, and which governed versions are trusted first. Roles
written in FleetConfig grant nothing.

Signatures are checked by a :class:`Verifier` (``reconciler.gitops`` runs ``ssh-keygen -Y
verify``); the domain only sees the outcome, a :class:`SignatureCheck`. A principal that
is a pattern (``*@contoso.example``) can never be an approver identity.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from reconciler.domain.documents import schemas
from reconciler.domain.documents.yamlsource import parse_yaml
from reconciler.domain.errors import EucoraError

TRUST_ROOT_FILE = "trust-root.yaml"
TRUST_ROOT_SCHEMA = "trust-root.schema.json"
#: the namespace of every eucora signature (``ssh-keygen -Y sign -n eucora``)
SIGNATURE_NAMESPACE = "eucora"
_PATTERN_CHARACTERS = frozenset("*?!,[]")


class TrustRootError(EucoraError):
    """The trust root is missing or malformed: nothing can be trusted."""

    reason = "InvalidTrustRoot"
    transient = False


def is_pattern(principal: str) -> bool:
    """A principal that matches more than one identity (allowed_signers patterns)."""
    return any(c in _PATTERN_CHARACTERS for c in principal)


@dataclass(frozen=True, slots=True)
class TrustedVersion:
    kind: str
    name: str
    digest: str


@dataclass(frozen=True, slots=True)
class TrustRoot:
    members: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    governance_approvers: frozenset[str] = frozenset()
    governance_quorum: int = 1
    trusted: frozenset[TrustedVersion] = frozenset()
    source: str = ""

    def roles_of(self, principal: str) -> tuple[str, ...]:
        if is_pattern(principal):
            return ()
        return self.members.get(principal.lower(), ())

    def is_governance_approver(self, principal: str) -> bool:
        return not is_pattern(principal) and principal.lower() in self.governance_approvers

    def trusts_first(self, kind: str, name: str, digest: str) -> bool:
        return TrustedVersion(kind, name, digest) in self.trusted


#: no trust root: nobody holds a role, nothing is trusted first
EMPTY_TRUST = TrustRoot()


def load_trust_root(path: Path) -> TrustRoot:
    """Parse and validate a trust root file; any problem raises :class:`TrustRootError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TrustRootError(f"trust root {path}: cannot read: {exc.strerror}") from exc
    parsed = parse_yaml(text, str(path))
    if parsed.findings:
        first = parsed.findings[0]
        raise TrustRootError(f"trust root {first.location}: {first.message}")
    if len(parsed.documents) != 1:
        raise TrustRootError(f"trust root {path}: expected exactly one YAML document")
    document = parsed.documents[0]
    problems = list(schemas.validator_for_file(TRUST_ROOT_SCHEMA).iter_errors(document.data))
    if problems:
        problem = min(problems, key=lambda p: list(p.absolute_path))
        line, column = document.locate(tuple(problem.absolute_path))
        where = "/".join(str(p) for p in problem.absolute_path) or "(document)"
        raise TrustRootError(f"trust root {path}:{line}:{column}: {where}: {problem.message}")
    spec = document.data["spec"]
    members: dict[str, tuple[str, ...]] = {}
    for i, member in enumerate(spec["members"]):
        principal = str(member["principal"])
        if is_pattern(principal):
            raise TrustRootError(
                f"trust root {path}: spec/members/{i}/principal {principal!r} is a pattern; "
                "roles are held by single identities"
            )
        members[principal.lower()] = tuple(member["roles"])
    approvers = {str(p).lower() for p in spec["governance"]["approvers"]}
    patterns = sorted(p for p in approvers if is_pattern(p))
    if patterns:
        raise TrustRootError(f"trust root {path}: governance approver {patterns[0]!r} is a pattern")
    return TrustRoot(
        members=MappingProxyType(members),
        governance_approvers=frozenset(approvers),
        governance_quorum=int(spec["governance"]["quorum"]),
        trusted=frozenset(
            TrustedVersion(t["kind"], t["name"], t["digest"]) for t in spec.get("trusted", ())
        ),
        source=str(path),
    )


class SignatureStatus(enum.StrEnum):
    GOOD = "good"
    NONE = "none"
    BAD = "bad"
    UNKNOWN_KEY = "unknown-key"
    PATTERN = "pattern-principal"


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    status: SignatureStatus
    detail: str = ""

    @property
    def good(self) -> bool:
        return self.status is SignatureStatus.GOOD


class Verifier(Protocol):
    """Checks a detached signature over ``payload`` for exactly ``principal``."""

    def verify(
        self, principal: str, payload: bytes, signature: str, at: datetime
    ) -> SignatureCheck:
        """Is ``signature`` by a key the signers file lists for ``principal`` (a single
        identity, never a pattern), valid at ``at``?"""
        ...


class NoVerifier:
    """No signers file: no signature can be verified."""

    def verify(
        self, principal: str, payload: bytes, signature: str, at: datetime
    ) -> SignatureCheck:
        if not signature:
            return SignatureCheck(SignatureStatus.NONE, "the document carries no signature")
        return SignatureCheck(SignatureStatus.UNKNOWN_KEY, "no signers file to verify against")
