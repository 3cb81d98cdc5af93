"""Errors that the command line turns into a message and an exit code.

Raise them where a problem is found; `gitops.cli` prints them in one place.
Exit codes: 1 means "the check found problems" (or the action was refused),
2 means "the command could not run as asked" (usage or configuration).
"""

from __future__ import annotations

from pathlib import Path


class GitopsError(Exception):
    """A problem the user can act on. `exit_code` is what the command exits with."""

    exit_code = 1

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = str(self.path) if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class ConfigError(GitopsError):
    """The repository's own configuration (facts, overlays, layout) is wrong or missing."""

    exit_code = 2


class UsageError(GitopsError):
    """The command was called with arguments it cannot act on."""

    exit_code = 2


class Refused(GitopsError):
    """An action (bump, promote, rollback) was refused; nothing was changed."""

    exit_code = 1


class ToolMissing(ConfigError):
    """An external program (kustomize, git, podman) is not installed."""
