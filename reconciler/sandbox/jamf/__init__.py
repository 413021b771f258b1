"""Emulated Jamf Pro, Pro API and Classic API: what the sandbox host mounts at ``/api``
and ``/JSSResource``. It builds on the sandbox's shared parts (tokens, wire, fleet),
never on the host or on another emulator.
"""

from reconciler.sandbox.jamf._emulator import JAMF_TOKEN_SECONDS, JamfAccounts, JamfEmulator
from reconciler.sandbox.jamf._rsql import parse_rsql
from reconciler.sandbox.jamf._service import JamfService
from reconciler.sandbox.jamf._state import ComputerGroup, JamfProError, Policy

__all__ = [
    "JAMF_TOKEN_SECONDS",
    "ComputerGroup",
    "JamfAccounts",
    "JamfEmulator",
    "JamfProError",
    "JamfService",
    "Policy",
    "parse_rsql",
]
