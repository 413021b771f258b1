"""Sandbox tenant: emulated Intune (Graph + Entra token endpoint + blob storage) and Jamf
Pro servers on 127.0.0.1, with a simulated fleet, clock, fault injection and portal-drift
admin calls. An adapter: it imports only the domain, never connectors, policy or gitops.

    async with Sandbox(devices_windows=200, devices_macos=80, seed=7) as sb:
        ...  # point clients at sb.graph_url / sb.token_url / sb.jamf_url
        sb.advance(hours=24)
"""

from reconciler.sandbox._faults import FaultRule, FaultSpecError, parse_faults
from reconciler.sandbox._server import Sandbox

__all__ = ["FaultRule", "FaultSpecError", "Sandbox", "parse_faults"]
