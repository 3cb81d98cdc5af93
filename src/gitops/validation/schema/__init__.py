"""Schemas: Kubernetes' per release, the CRDs', removed API versions, readable messages."""
