"""The Kubernetes operator: ``kopf run -m reconciler.operator`` or ``eucora operator run``.

Sits at the top of the flow next to the CLI. The GitSource controller fetches the fleet
repo and materializes one DeploymentIntent object per intent document; handlers are thin
and map engine errors to kopf retries in one place (:mod:`._errors`).
"""

from reconciler.operator import _handlers  # noqa: F401  (registers the kopf handlers)
