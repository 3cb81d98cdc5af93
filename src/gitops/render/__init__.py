"""The rendered cluster state: kustomize, one object per file, the sync check, the write."""
