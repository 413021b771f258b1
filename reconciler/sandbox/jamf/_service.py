"""The emulated Jamf Pro server: :class:`JamfService` is what ``Sandbox.jamf`` is, its
state with the handlers of :mod:`._packages`, :mod:`._inventory`, :mod:`._groups`,
:mod:`._policies` and the check-in of :mod:`._checkin`. Each handler returns a ``Reply``
or raises :class:`~._state.JamfProError`; :mod:`._emulator` routes HTTP requests to them.
"""

from __future__ import annotations

from reconciler.sandbox.jamf._checkin import JamfCheckin
from reconciler.sandbox.jamf._groups import GroupHandlers
from reconciler.sandbox.jamf._inventory import InventoryHandlers
from reconciler.sandbox.jamf._packages import PackageHandlers
from reconciler.sandbox.jamf._policies import PolicyHandlers


class JamfService(PackageHandlers, InventoryHandlers, GroupHandlers, PolicyHandlers, JamfCheckin):
    """State and handlers of the emulated Jamf Pro server."""
