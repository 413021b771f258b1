"""Intune (Microsoft Graph) and Jamf Pro connectors implementing the TenantConnector port.

So far: the HTTP core (:class:`ServiceClient`, :class:`ClientCredentials`, breaker, write
budget, error mapping), the local package store with ``.intunewin`` support, and the
Intune connector for Windows apps.
"""

from reconciler.connectors._auth import ClientCredentials
from reconciler.connectors._breaker import CircuitBreaker, CircuitState
from reconciler.connectors._budget import WriteBudget
from reconciler.connectors._http import RetryPolicy, ServiceClient, correlation_id, new_http_client
from reconciler.connectors._intune import IntuneConnector
from reconciler.connectors._packages import LocalPackageStore, read_intunewin

__all__ = [
    "CircuitBreaker",
    "CircuitState",
    "ClientCredentials",
    "IntuneConnector",
    "LocalPackageStore",
    "RetryPolicy",
    "ServiceClient",
    "WriteBudget",
    "correlation_id",
    "new_http_client",
    "read_intunewin",
]
