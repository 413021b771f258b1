"""Emulated Intune (Graph + token endpoint) and Jamf Pro tenants for demos and tests."""
