"""Git access: fetching fleet repos, commit signatures and approval provenance."""
