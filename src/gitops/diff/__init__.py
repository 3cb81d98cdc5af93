"""The cluster-state diff: the two sides, object by object, as text or as a PR comment."""
