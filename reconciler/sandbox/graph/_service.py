"""The emulated Graph tenant: state and every handler behind one route table.

:class:`GraphService` is what ``Sandbox.graph`` is: apps, groups and Intune-managed
devices, with the handlers of :mod:`._apps`, :mod:`._content`, :mod:`._directory` and
:mod:`._reports` (and the check-in of :mod:`._checkin`). :meth:`GraphService.handle`
dispatches a parsed request (single or inside ``$batch``) and returns a ``Reply``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.sandbox._emulator import RouteTable
from reconciler.sandbox._wire import Reply, graph_error
from reconciler.sandbox.graph._apps import APP_ROUTES, AppHandlers
from reconciler.sandbox.graph._content import CONTENT_ROUTES, ContentHandlers
from reconciler.sandbox.graph._directory import DIRECTORY_ROUTES, DirectoryHandlers
from reconciler.sandbox.graph._reports import REPORT_ROUTES, ReportHandlers
from reconciler.sandbox.graph._state import GraphError

ROUTES = RouteTable(APP_ROUTES + CONTENT_ROUTES + DIRECTORY_ROUTES + REPORT_ROUTES)


class GraphService(AppHandlers, ContentHandlers, DirectoryHandlers, ReportHandlers):
    """State and handlers of the emulated Graph tenant."""

    def handle(
        self, method: str, version: str, path: str, query: dict[str, str], body: Any
    ) -> Reply:
        if path != "/" and path.endswith("/"):
            path = path.rstrip("/")
        found = ROUTES.find(method, path)
        if found is None:
            return graph_error(
                400,
                "BadRequest",
                f"Resource not found for the segment '{path.rsplit('/', 1)[-1]}'.",
            )
        if found.handler is None:
            return graph_error(
                405, "Request_BadRequest", f"The HTTP method '{method}' is not allowed."
            )
        handler: Callable[..., Reply] = getattr(self, found.handler)
        try:
            return handler(version=version, query=query, body=body, **found.params)
        except GraphError as exc:
            return graph_error(exc.status, exc.code, exc.message)
