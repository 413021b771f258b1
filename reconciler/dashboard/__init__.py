"""The rollout dashboard: read-only pages over the engine's pass reports.

Sits above the engine, beside the notifier: the operator serves it from the passes it
holds (its own port, off by default), ``eucora dashboard`` from a state store or the
cluster's statuses. Public API: :func:`create_app` / :func:`serve`, :class:`Access`, the
:class:`FleetSource` protocol with :class:`StateFileSource`, and the view types
:class:`Fleet` / :class:`Trail` a source returns. See ``docs/operations.md``.
"""

from reconciler.dashboard._app import Access, create_app, serve
from reconciler.dashboard._sources import (
    FleetSource,
    StateFileSource,
    audit_records,
    fleet_from_report,
    history_entry,
)
from reconciler.dashboard._views import Fleet, Trail

__all__ = [
    "Access",
    "Fleet",
    "FleetSource",
    "StateFileSource",
    "Trail",
    "audit_records",
    "create_app",
    "fleet_from_report",
    "history_entry",
    "serve",
]
