"""Intune (Microsoft Graph) and Jamf Pro connectors implementing the TenantConnector port.

The observe and apply steps of a reconcile pass go through these. Build connectors with
:func:`intune_connector` / :func:`jamf_connector` from :class:`IntuneSettings` /
:class:`JamfSettings`; the HTTP core (:class:`ServiceClient`, token sources, breaker,
budget, error mapping, request observers) is exported for tests and for wiring by hand. See
``docs/connectors.md``.
"""

from reconciler.connectors._auth import ClientCredentials, JamfUserToken
from reconciler.connectors._breaker import CircuitBreaker, CircuitState
from reconciler.connectors._budget import WriteBudget
from reconciler.connectors._http import (
    CircuitChanged,
    HttpEvent,
    HttpObserver,
    RequestObserved,
    RetryPolicy,
    ServiceClient,
    TokenSource,
    correlation_id,
    new_http_client,
    observe_http,
)
from reconciler.connectors._intune import IntuneConnector
from reconciler.connectors._jamf import JamfConnector, package_notes, policy_name
from reconciler.connectors._packages import IntuneWin, read_intunewin
from reconciler.connectors._tenants import (
    IntuneSettings,
    JamfSettings,
    intune_connector,
    jamf_connector,
)

__all__ = [
    "CircuitBreaker",
    "CircuitChanged",
    "CircuitState",
    "ClientCredentials",
    "HttpEvent",
    "HttpObserver",
    "IntuneConnector",
    "IntuneSettings",
    "IntuneWin",
    "JamfConnector",
    "JamfSettings",
    "JamfUserToken",
    "RequestObserved",
    "RetryPolicy",
    "ServiceClient",
    "TokenSource",
    "WriteBudget",
    "correlation_id",
    "intune_connector",
    "jamf_connector",
    "new_http_client",
    "observe_http",
    "package_notes",
    "policy_name",
    "read_intunewin",
]
