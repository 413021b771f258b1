"""Emulated Microsoft Graph (Intune) with its Entra token endpoint: what the sandbox host
mounts at ``/v1.0``, ``/beta`` and ``/{tenant}/oauth2/v2.0/token``. It builds on the
sandbox's shared parts (blob store, tokens, wire, OData schema), never on the host or on
another emulator.
"""

from reconciler.sandbox.graph._app_types import APP_TYPES, AppType
from reconciler.sandbox.graph._emulator import GraphEmulator
from reconciler.sandbox.graph._entra import EntraApp
from reconciler.sandbox.graph._service import GraphService
from reconciler.sandbox.graph._state import ALL_DEVICES, App, Group

__all__ = [
    "ALL_DEVICES",
    "APP_TYPES",
    "App",
    "AppType",
    "EntraApp",
    "GraphEmulator",
    "GraphService",
    "Group",
]
