"""Which kustomize rendered clusters/: the record `clusters/.rendered-by`, and the note that names
both versions when a fresh render differs and another kustomize made it.

The bytes of clusters/ are kustomize's output, so a new kustomize (or a kubectl that embeds one)
can change them with apps/ untouched. Every write of clusters/ records the tool that rendered it
(`gitops.render.sync.write`); `render --check` and `validate` read the record when they find
differences. The record is a file directly in clusters/: it belongs to no environment, so the
sync check leaves it alone and no controller applies it.
"""

from __future__ import annotations

import re

from gitops.render.kustomize import Kustomize, ToolVersion, tool_version
from gitops.repo.layout import Layout
from gitops.system.files import atomic_write

RECORD = ".rendered-by"
HEADER = (
    "# The kustomize that rendered clusters/, written by every render that writes it (nox -s\n"
    "# render, bump, promote, rollback, seal). render --check and validate name it when a fresh\n"
    "# render differs and another kustomize makes it. Not edited by hand.\n"
)
_LINE = re.compile(r"^kustomize (?P<kustomize>\S+)(?: \(kubectl (?P<kubectl>[^)\s]+)\))?$")


def read(layout: Layout) -> ToolVersion | None:
    """The recorded tool; None when there is no record or it cannot be read."""
    path = layout.clusters_dir / RECORD
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        match = _LINE.match(line.strip())
        if match:
            return ToolVersion(match["kustomize"], match["kubectl"] or "")
    return None


def record(layout: Layout, version: ToolVersion) -> bool:
    """Record `version` as the tool that rendered clusters/; whether the record changed."""
    path = layout.clusters_dir / RECORD
    text = f"{HEADER}{version}\n"
    if path.is_file() and not path.is_symlink() and path.read_text(encoding="utf-8") == text:
        return False
    atomic_write(path, text)
    return True


def note(layout: Layout, tool: Kustomize) -> str | None:
    """The sentence for a render check that found differences, when the recorded kustomize is not
    the version of `tool`, the one rendering now (None when they are the same, or nothing is
    recorded)."""
    recorded = read(layout)
    if recorded is None:
        return None
    current = tool_version(tool)
    if recorded.kustomize == current.kustomize:
        return None
    return (
        f"clusters/ was rendered with {recorded}; this is {current}: differences may come from "
        "that (the sessions render with the kubectl of requirements/pipeline.txt)"
    )
