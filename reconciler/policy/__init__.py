"""Policy engines implementing the PolicyEngine port: embedded (regopy) and OPA server."""
