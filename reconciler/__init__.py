"""EUCORA: a GitOps policy-as-code reconciler for enterprise endpoint software.

Deployment intents, risk models and CAB approvals live as YAML in Git; the reconciler
makes Microsoft Intune and Jamf Pro match them, one policy-gated ring at a time.
The public entry points are the ``eucora`` CLI (:mod:`reconciler.cli`) and the
Kubernetes operator (:mod:`reconciler.operator`).
"""

__version__ = "0.1.0.dev0"
