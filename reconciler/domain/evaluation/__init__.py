"""The ``evaluate`` step: governance of each intent and of the governed documents.

Trust root and signatures, facts and blast radius, risk, CAB requirement and approvals,
exceptions (:mod:`.governance` is the entry point), which version of the governed
documents is in force (:mod:`.governed`), trust maturity, and the neutral part of
rendering an intent's apps (:mod:`.render`). Imports ``inputs``, ``documents`` and the root.
"""
