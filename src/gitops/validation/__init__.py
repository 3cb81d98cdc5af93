"""Validation of Kubernetes manifests: YAML, schema, API server, cross-object, policy."""
