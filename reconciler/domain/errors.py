"""The one exception tree of EUCORA.

Every error raised across a layer boundary is an :class:`EucoraError`. Each carries a
machine ``reason`` (a CamelCase word used as the condition reason in status and Events)
and a requeue hint: transient errors say when to try again, permanent ones say that
retrying without a change in Git or the tenant will not help. The operator maps this tree
to kopf errors in exactly one place; the CLI maps it to exit codes in exactly one place.

    EucoraError
    ├── InvalidRepositoryError      bad fleet repo content (carries findings)
    ├── SourceError                 git fetch/checkout/verification failed
    ├── PolicyEvaluationError       policy engine could not decide (callers fail closed)
    ├── InvalidPolicyError          a policy set that must not be used (e.g. overrides a built-in)
    ├── StateStoreError             local state or audit log unusable
    ├── PackageError                an installer is missing, altered or malformed
    │   └── PackageUnavailableError a package store unreachable or a download cut: retry
    ├── ConfigurationError          settings (e.g. tenant credentials) missing or malformed
    └── TenantError                 MDM API failures
        ├── TransientTenantError    429, 5xx, timeouts, resets: retry later
        │   └── CircuitOpenError    breaker open for a tenant/service
        └── PermanentTenantError    retrying the same request will not help
            ├── AuthenticationError 401/403 after a token refresh, bad credentials
            ├── NotFoundError       404
            ├── ConflictError       409/412: someone else changed it or it exists
            └── RequestRejectedError 400/422: the API rejected the payload
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.domain.findings import Finding


class EucoraError(Exception):
    """Base of every EUCORA error."""

    reason: str = "Error"
    transient: bool = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    @property
    def requeue_after(self) -> float | None:
        """Seconds until a retry may succeed; None when a retry cannot help."""
        if not self.transient:
            return None
        return self.retry_after if self.retry_after is not None else 30.0


class InvalidRepositoryError(EucoraError):
    reason = "InvalidRepository"

    def __init__(self, message: str, findings: Sequence[Finding] = ()) -> None:
        super().__init__(message)
        self.findings = tuple(findings)


class SourceError(EucoraError):
    reason = "SourceUnavailable"
    transient = True


class PolicyEvaluationError(EucoraError):
    reason = "PolicyError"
    transient = True


class InvalidPolicyError(EucoraError):
    """A policy file that may not be loaded; names the file and line."""

    reason = "InvalidPolicy"

    def __init__(self, message: str, *, file: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.line = line


class PackageError(EucoraError):
    """An installer file that must not be uploaded: missing, wrong hash or size, malformed."""

    reason = "PackageInvalid"


class PackageUnavailableError(PackageError):
    """A package store could not be reached or the download broke off: retry later (a
    partial download is kept and resumed)."""

    reason = "PackageUnavailable"
    transient = True


class ConfigurationError(EucoraError):
    """Settings the process was started with are missing or malformed (names the setting)."""

    reason = "InvalidConfiguration"


class StateStoreError(EucoraError):
    reason = "StateStoreError"


class TenantError(EucoraError):
    """An MDM provider's API call failed."""

    reason = "TenantError"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        service: str = "",
        code: str = "",
        request_id: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.status = status
        self.service = service
        self.code = code
        self.request_id = request_id


class NotReadyError(TenantError):
    """The tenant is still processing an earlier write (an app still publishing after
    its content commit): the write waits for the next pass. Not a failure."""

    reason = "NotReady"


class TransientTenantError(TenantError):
    reason = "TenantUnavailable"
    transient = True


class CircuitOpenError(TransientTenantError):
    reason = "CircuitOpen"


class PermanentTenantError(TenantError):
    reason = "TenantRejected"


class AuthenticationError(PermanentTenantError):
    reason = "AuthenticationFailed"


class NotFoundError(PermanentTenantError):
    reason = "NotFound"


class ConflictError(PermanentTenantError):
    reason = "Conflict"


class RequestRejectedError(PermanentTenantError):
    reason = "RequestRejected"
