"""The MDM providers' connectors implementing the TenantConnector port, and their registry.

The observe and apply steps of a reconcile pass go through these. One package per provider
(:mod:`.intune`, :mod:`.intune_macos`, :mod:`.jamf`), built on the shared HTTP core
(:mod:`.core`) and, for the Intune family, the Graph plumbing (:mod:`.graph`);
:mod:`.registry` maps a provider name to its settings parser and connector factory. The
names below are re-exported for wiring by hand and for tests. See ``docs/connectors.md``.
"""

from reconciler.connectors.core import (
    CircuitBreaker,
    CircuitChanged,
    CircuitState,
    ClientCredentials,
    HttpEvent,
    HttpObserver,
    JamfUserToken,
    RequestObserved,
    RetryPolicy,
    ServiceClient,
    TokenSource,
    WriteBudget,
    correlation_id,
    new_http_client,
    observe_http,
)
from reconciler.connectors.intune import (
    IntuneConnector,
    IntuneSettings,
    IntuneWin,
    intune_connector,
    read_intunewin,
)
from reconciler.connectors.intune_macos import (
    IntuneMacosConnector,
    IntuneMacosSettings,
    intune_macos_connector,
)
from reconciler.connectors.jamf import (
    JamfConnector,
    JamfSettings,
    jamf_connector,
    package_notes,
    policy_name,
)
from reconciler.connectors.registry import PROVIDERS, Provider, provider

__all__ = [
    "PROVIDERS",
    "CircuitBreaker",
    "CircuitChanged",
    "CircuitState",
    "ClientCredentials",
    "HttpEvent",
    "HttpObserver",
    "IntuneConnector",
    "IntuneMacosConnector",
    "IntuneMacosSettings",
    "IntuneSettings",
    "IntuneWin",
    "JamfConnector",
    "JamfSettings",
    "JamfUserToken",
    "Provider",
    "RequestObserved",
    "RetryPolicy",
    "ServiceClient",
    "TokenSource",
    "WriteBudget",
    "correlation_id",
    "intune_connector",
    "intune_macos_connector",
    "jamf_connector",
    "new_http_client",
    "observe_http",
    "package_notes",
    "policy_name",
    "provider",
    "read_intunewin",
]
