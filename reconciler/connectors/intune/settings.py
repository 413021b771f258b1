"""Building the ``intune`` provider's connector from its settings.

Sits before the observe step. Intune reaches one Entra tenant's Graph with the
``INTUNE_*`` settings every Intune-family provider shares
(:class:`~reconciler.connectors.graph.GraphSettings`): ``INTUNE_TENANT_ID``,
``INTUNE_CLIENT_ID``, ``INTUNE_CLIENT_SECRET`` and optionally ``INTUNE_GRAPH_URL`` /
``INTUNE_AUTHORITY_URL`` (another Graph, e.g. the sandbox).
"""

from __future__ import annotations

from reconciler.connectors.graph.settings import GraphSettings
from reconciler.connectors.intune.connector import IntuneConnector

#: the Intune provider's settings are the tenant's Graph settings
IntuneSettings = GraphSettings


#: a connector with its own client, token cache, breaker and budgets (``GraphAppConnector.connect``)
intune_connector = IntuneConnector.connect
