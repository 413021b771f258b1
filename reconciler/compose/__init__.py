"""The composition root: what entry points wire together before the engine runs.

Sits between the entry points (CLI, operator) and the engine and adapters: connectors for a
tenant file, a sandbox URL, an in-process sandbox or a GitSource's tenant Secret
(:mod:`.connectors`), all built from ``reconciler.connectors.registry``.
"""
