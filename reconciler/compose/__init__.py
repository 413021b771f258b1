"""Composition root: the adapters chosen and wired, outside the engine.

Entry points (the CLI, the operator) and the demo build everything here: connectors for a
tenant file, a sandbox URL or an in-process sandbox (:mod:`reconciler.compose.connectors`),
the policy engine of each revision (:mod:`reconciler.compose.policies`) and the
:class:`~reconciler.engine.Reconciler` with its adapters
(:mod:`reconciler.compose.engine`); ``eucora demo`` lives in :mod:`reconciler.compose.demo`.
The engine itself imports none of these adapters' constructors, and never the sandbox.
"""

from reconciler.compose.engine import build_reconciler, git_provenance
from reconciler.compose.policies import RevisionPolicies

__all__ = ["RevisionPolicies", "build_reconciler", "git_provenance"]
