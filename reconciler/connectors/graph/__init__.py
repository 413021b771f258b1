"""Microsoft Graph plumbing every Intune-family provider shares.

Sits under the observe and apply steps of the providers that reach an Intune tenant
(``reconciler.connectors.intune`` for Windows; Intune for macOS uses the same): Graph
settings and the service client (:mod:`.settings`), paging and ``$batch`` (:mod:`.reads`),
assignments (:mod:`.assignments`), ring group → managed devices (:mod:`.devices`), the
install-status report (:mod:`.report`), content upload with SAS renewal and commit
(:mod:`.upload`) and the shared app lifecycle (:class:`GraphAppConnector`).
"""

from reconciler.connectors.graph.apps import GraphAppConnector
from reconciler.connectors.graph.settings import GraphSettings, graph_service
from reconciler.connectors.graph.upload import Content, ContentUpload

__all__ = ["Content", "ContentUpload", "GraphAppConnector", "GraphSettings", "graph_service"]
