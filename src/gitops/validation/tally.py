"""What a run read, for the summary line the command prints on stderr after every run:

    validate: 2 environments, 48 objects in 48 files (Kubernetes 1.33): no findings, 0.31 s
    validate: 12 objects in 3 files (Kubernetes 1.33): 2 errors, 1 warning, 0.05 s

The engine (`validate_paths`) and repository mode (`validate_repository`, `check_bootstrap`)
count into a `Tally` when they are given one; nothing else depends on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gitops.validation.model import Finding


@dataclass
class Tally:
    files: int = 0
    objects: int = 0
    environments: int | None = None  # repository mode only
    versions: set[str] = field(default_factory=set)

    def count(self, files: int, objects: int, version: str | None = None) -> None:
        self.files += files
        self.objects += objects
        if version:
            self.versions.add(version)

    def line(self, findings: Sequence[Finding], seconds: float) -> str:
        """The summary line, without the leading `validate: `."""
        read = f"{_plural(self.objects, 'object')} in {_plural(self.files, 'file')}"
        if self.environments is not None:
            read = f"{_plural(self.environments, 'environment')}, {read}"
        if self.versions:
            versions = sorted(self.versions, key=_version_key)
            read += f" (Kubernetes {', '.join(versions)})"
        return f"{read}: {found(findings)}, {seconds:.2f} s"


def found(findings: Sequence[Finding]) -> str:
    """`no findings`, or `2 errors, 1 warning`."""
    if not findings:
        return "no findings"
    errors = sum(1 for f in findings if f.severity == "error")
    return f"{_plural(errors, 'error')}, {_plural(len(findings) - errors, 'warning')}"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
