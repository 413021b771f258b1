"""The composition root: what entry points wire together before the engine runs.

Sits between the entry points (CLI, operator) and the engine and adapters: connectors for a
tenant file, a sandbox URL, an in-process sandbox or a GitSource's tenant Secret
(:mod:`.connectors`), all built from ``reconciler.connectors.registry``; the policy engine of
each revision (:mod:`.policies`); the :class:`~reconciler.engine.Reconciler` with its
adapters — history, signature verifier, package store (:mod:`.engine`); and ``eucora demo``
(:mod:`.demo`). The engine itself imports none of these adapters' constructors, and never
the sandbox.
"""

from reconciler.compose.engine import build_reconciler, git_provenance
from reconciler.compose.policies import RevisionPolicies

__all__ = ["RevisionPolicies", "build_reconciler", "git_provenance"]
