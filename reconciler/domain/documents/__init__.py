"""The fleet repo's documents: safe YAML, JSON Schemas, typed models, the loader, digests.

The ``load+validate`` step of the flow (:mod:`.loader` is its entry point); package files
and their references are checked here too. Imports only the domain root.
"""
