"""The HTTP core every provider's connector is built on.

Sits under the observe and apply steps: :class:`ServiceClient` (retries, budgets, breaker,
idempotent creates, request observers), the token sources, the circuit breaker, the write
budget, the mapping of failed answers into the domain's error tree, the local package store
and the settings readers. Public to every provider package under ``reconciler.connectors``;
no provider's module is imported from here.
"""

from reconciler.connectors.core.auth import ClientCredentials, JamfUserToken
from reconciler.connectors.core.breaker import CircuitBreaker, CircuitState
from reconciler.connectors.core.budget import WriteBudget
from reconciler.connectors.core.http import (
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

__all__ = [
    "CircuitBreaker",
    "CircuitChanged",
    "CircuitState",
    "ClientCredentials",
    "HttpEvent",
    "HttpObserver",
    "JamfUserToken",
    "RequestObserved",
    "RetryPolicy",
    "ServiceClient",
    "TokenSource",
    "WriteBudget",
    "correlation_id",
    "new_http_client",
    "observe_http",
]
