"""Changing what an environment runs: image references, overlay edits, bump, promote, rollback."""
