"""Building the ``intune-macos`` provider's connector from its settings.

Sits before the observe step. Intune for macOS is the same Entra tenant as Windows Intune:
the same ``INTUNE_*`` settings (:class:`~reconciler.connectors.graph.GraphSettings`: tenant,
app registration, optional ``INTUNE_GRAPH_URL`` / ``INTUNE_AUTHORITY_URL``) and the same
kind of Graph service client (token, retries, breaker, budgets); only the connector on top
differs.
"""

from __future__ import annotations

from reconciler.connectors.graph.settings import GraphSettings
from reconciler.connectors.intune_macos.connector import IntuneMacosConnector

#: the provider's settings are the tenant's Graph settings, read from the same keys
IntuneMacosSettings = GraphSettings


#: a connector with its own client, token cache, breaker and budgets (``GraphAppConnector.connect``)
intune_macos_connector = IntuneMacosConnector.connect
