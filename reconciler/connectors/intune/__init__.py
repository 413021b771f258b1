"""The ``intune`` provider: Windows apps (Graph ``win32LobApp``) in an Intune tenant.

Sits in the observe and apply steps: the connector (:mod:`.connector`), its settings and
factory (:mod:`.settings`), the ``.intunewin`` container (:mod:`.intunewin`) and its
rendering of an intent into win32LobApp properties and its plan words (:mod:`.render`,
registered in ``reconciler.connectors.registry``).
"""

from reconciler.connectors.intune.connector import FIELD_VERSIONS, OWNED, WIN32, IntuneConnector
from reconciler.connectors.intune.intunewin import IntuneWin, read_intunewin
from reconciler.connectors.intune.settings import IntuneSettings, intune_connector

__all__ = [
    "FIELD_VERSIONS",
    "OWNED",
    "WIN32",
    "IntuneConnector",
    "IntuneSettings",
    "IntuneWin",
    "intune_connector",
    "read_intunewin",
]
