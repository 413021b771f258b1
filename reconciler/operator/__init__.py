"""Kubernetes operator (kopf): GitSource and DeploymentIntent controllers."""
