"""Detached SSH signatures over approval content (``ssh-keygen -Y sign`` / ``-Y verify``).

The domain's :class:`~reconciler.domain.evaluation.trust.Verifier`. Signatures use the ``eucora``
namespace, so a signature made for git (namespace ``git``) or anything else never counts
as an approval. They are verified against the out-of-band signers file (git's
allowed_signers format) for exactly the principal the document names, with key validity
(``valid-after``/``valid-before``) judged at the time the caller gives — when the
reconciler first saw the document, never a date an author chose. Lines whose principal
is a pattern (``*@contoso.example``) are dropped before ssh-keygen sees the file: a
pattern principal can never approve.
"""

from __future__ import annotations

import shlex
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from reconciler.domain.errors import SourceError
from reconciler.domain.evaluation.trust import (
    SIGNATURE_NAMESPACE,
    SignatureCheck,
    SignatureStatus,
    is_pattern,
)

_TIMEOUT = 30


class SigningError(SourceError):
    reason = "SigningFailed"
    transient = False


def literal_signers(text: str) -> tuple[str, frozenset[str]]:
    """``text`` (allowed_signers) without pattern principals, and the dropped patterns."""
    kept: list[str] = []
    dropped: set[str] = set()
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            principals, rest = _split_first(stripped)
        except ValueError:
            continue
        literal = [p for p in principals.split(",") if p and not is_pattern(p)]
        dropped.update(p for p in principals.split(",") if p and is_pattern(p))
        if literal:
            kept.append(f"{','.join(literal)} {rest}")
    return "\n".join(kept) + "\n", frozenset(dropped)


def _split_first(line: str) -> tuple[str, str]:
    if line.startswith('"'):
        end = line.index('"', 1)
        return line[1:end], line[end + 1 :].strip()
    head, _, rest = line.partition(" ")
    if not rest:
        raise ValueError("no key")
    return head, rest.strip()


class SshVerifier:
    """Verifies eucora attestations against a signers file (``None``: nothing verifies)."""

    def __init__(self, signers: Path | None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="eucora-signers-")
        self._file = Path(self._dir.name) / "allowed_signers"
        text = Path(signers).read_text(encoding="utf-8") if signers else ""
        literal, self.patterns = literal_signers(text)
        self._file.write_text(literal, encoding="utf-8")
        self._cache: dict[tuple[str, bytes, str, datetime], SignatureCheck] = {}

    def verify(
        self, principal: str, payload: bytes, signature: str, at: datetime
    ) -> SignatureCheck:
        key = (principal, payload, signature, at)
        if key not in self._cache:
            self._cache[key] = self._verify(principal, payload, signature, at)
        return self._cache[key]

    def _verify(
        self, principal: str, payload: bytes, signature: str, at: datetime
    ) -> SignatureCheck:
        if not signature.strip():
            return SignatureCheck(SignatureStatus.NONE, "the document carries no signature")
        if is_pattern(principal):
            return SignatureCheck(SignatureStatus.PATTERN, f"{principal!r} is a pattern")
        sig = Path(self._dir.name) / "attestation.sig"
        sig.write_text(signature.strip() + "\n", encoding="utf-8")
        when = at.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")
        verified = _ssh_keygen(
            ["-Y", "verify", "-f", str(self._file), "-I", principal, "-n", SIGNATURE_NAMESPACE,
             "-s", str(sig), f"-Overify-time={when}"],
            payload,
        )  # fmt: skip
        if verified.returncode == 0:
            return SignatureCheck(SignatureStatus.GOOD, f"signed by {principal}")
        intact = _ssh_keygen(
            ["-Y", "check-novalidate", "-n", SIGNATURE_NAMESPACE, "-s", str(sig)], payload
        )
        if intact.returncode != 0:
            return SignatureCheck(
                SignatureStatus.BAD, "the signature does not match the document's content"
            )
        why = verified.stderr.decode(errors="replace").strip().splitlines()
        detail = next((w for w in why if "expired" in w or "not yet valid" in w), "")
        return SignatureCheck(
            SignatureStatus.UNKNOWN_KEY,
            detail or f"not signed by a key the signers file lists for {principal}",
        )


def _ssh_keygen(args: list[str], payload: bytes) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["ssh-keygen", *args], input=payload, capture_output=True, timeout=_TIMEOUT,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SourceError(f"ssh-keygen failed: {exc}") from exc


def sign_payload(payload: bytes, key: str) -> str:
    """An armored eucora signature over ``payload`` with ``key`` (a private key file, a
    public key file, or a literal public key — ``ssh-ed25519 AAAA…`` — whose private half
    ssh-agent holds: what git's ``user.signingkey`` names)."""
    if key.startswith(("ssh-", "ecdsa-", "sk-")):
        with tempfile.TemporaryDirectory(prefix="eucora-key-") as scratch:
            literal = Path(scratch) / "signing.pub"
            literal.write_text(key.strip() + "\n", encoding="utf-8")
            return sign_payload(payload, str(literal))
    key_path = Path(key).expanduser()
    if not key_path.is_file():
        raise SigningError(
            f"signing key {key!r} is not a file; set user.signingkey to a key file path"
        )
    result = _ssh_keygen(
        ["-Y", "sign", "-q", "-f", str(key_path), "-n", SIGNATURE_NAMESPACE], payload
    )
    if result.returncode != 0 or b"BEGIN SSH SIGNATURE" not in result.stdout:
        raise SigningError(
            f"{shlex.join(['ssh-keygen', '-Y', 'sign', '-f', str(key_path)])} failed: "
            f"{result.stderr.decode(errors='replace').strip()[:300]}"
        )
    return result.stdout.decode("ascii").strip() + "\n"
