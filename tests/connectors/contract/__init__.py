"""The connector contract: one suite every MDM connector must pass.

A new MDM is done when its fixture passes the suite.

The suite drives a ``TenantConnector`` against the sandbox over real HTTP on 127.0.0.1 and
holds every provider to the same behaviour: create → upload → assign → re-assign →
snapshot → ownership marker → update → delete; paged listings that miss nothing; every
fault kind the sandbox can inject, with no duplicate left behind; a breaker that opens and
recovers; one token refresh per 401; a create whose answer is lost not repeated; a process
that dies after any write of a pass, with the next pass converging without duplicates; and
install evidence per ring group that follows the simulated fleet.

Adding a provider: write ``<provider>.py`` beside ``intune.py`` and ``jamf.py`` with one
:class:`~tests.connectors.contract.provider.ContractProvider` subclass (how to open a
connector on a sandbox, which example intents render for it, its ring group ids, how to
make a look-alike object without the marker, how many objects the tenant holds, ...), add it
to ``PROVIDERS`` in ``conftest.py``, and run ``pytest tests/connectors/contract``. What only
one vendor's wire shows (request counts, payload shapes, vendor-only calls) belongs in that
provider's own test module (``tests/connectors/test_<provider>_wire.py``), not here.
"""
