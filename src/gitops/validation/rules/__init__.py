"""Rule modules; importing this package registers every rule in `gitops.validation.registry`."""
