"""Pure domain layer: documents, schemas, digest, risk, CAB rules, planning, ports.

Nothing here performs network I/O or imports an adapter library (import-linter enforces
it); reading the fleet repo's files is the only I/O, and it happens in :mod:`.loader`.
"""
