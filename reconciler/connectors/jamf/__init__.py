"""The ``jamf`` provider: macOS apps as Jamf Pro packages plus Classic install policies.

Sits in the observe and apply steps: the connector (:mod:`.connector`, reading through
:mod:`.reads`, :mod:`.inventory` and :mod:`.policies`), computer groups (:mod:`.groups`),
its settings and factory (:mod:`.settings`), registered in
``reconciler.connectors.registry``.
"""

from reconciler.connectors.jamf.connector import (
    MAX_CONCURRENCY,
    PACKAGE_OWNED,
    JamfConnector,
    package_notes,
)
from reconciler.connectors.jamf.policies import policy_name
from reconciler.connectors.jamf.settings import JamfSettings, jamf_connector

__all__ = [
    "MAX_CONCURRENCY",
    "PACKAGE_OWNED",
    "JamfConnector",
    "JamfSettings",
    "jamf_connector",
    "package_notes",
    "policy_name",
]
