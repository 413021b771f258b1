"""Pure domain layer, one subpackage per step of the flow, each importing only those below it.

``planning`` (the plan, the conditions recorded after it) > ``gates`` (ring progress) >
``evaluation`` (governance of intents and governed documents: trust, risk, CAB; the neutral
part of rendering) > ``inputs`` (the Rego policies' input and the observed facts it carries:
time to compliance, rollback readiness) > ``documents`` (YAML, schemas, models, loader,
digest, packages) > the root's ``errors`` and ``ports`` > ``findings`` and ``tenant``. An
import-linter layers contract holds the order (``pyproject.toml``).

Nothing here performs network I/O or imports an adapter library (import-linter enforces
it); reading the fleet repo's files is the only I/O, and it happens in
:mod:`.documents.loader`.
"""
