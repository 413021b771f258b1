"""Intune (Microsoft Graph) and Jamf Pro connectors implementing the TenantConnector port."""
