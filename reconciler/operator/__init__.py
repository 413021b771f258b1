"""The Kubernetes operator: ``eucora operator run`` or ``kopf run -m reconciler.operator``.

Sits at the top of the flow next to the CLI. The GitSource controller fetches the fleet
repo and materializes one DeploymentIntent object per intent document. Inside, one way
down: kopf handlers, one module per CRD kind (:mod:`._gitsources`,
:mod:`._deploymentintents`, :mod:`._lifecycle`) → a :class:`GitSourceService` per source
(:mod:`._service`) held in the process's :class:`OperatorState` → passes, engine, Secrets,
notifications and the Kubernetes client → pure codecs (status, materialize plan) and the
typed :class:`OperatorConfig`. Engine errors become kopf retries in one place
(:mod:`._errors`).

Importing the package registers the handlers in kopf's default registry with the config
read from the environment (``kopf run -m`` offers no other hook; a bad setting fails the
start, not the import). ``eucora operator run``
and the tests build their own registry (:func:`operator_registry`).
"""

import os

import kopf

from reconciler.operator._config import DashboardConfig, OperatorConfig
from reconciler.operator._registry import operator_registry, register_from_env
from reconciler.operator._service import GitSourceService
from reconciler.operator._state import OperatorState, Wiring

__all__ = [
    "DashboardConfig",
    "GitSourceService",
    "OperatorConfig",
    "OperatorState",
    "Wiring",
    "operator_registry",
]

register_from_env(kopf.get_default_registry(), os.environ)
