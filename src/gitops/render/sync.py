"""Is clusters/ in sync with a render, and making it so: the one check behind `render --check`,
`render` and validate's GB501.

Each folder `clusters/<env>/` belongs to the render wholly: every file in it that the render does
not produce is stale, whatever its name or type (a `.keep`, a README, an object deleted from
apps/), and `render` deletes it. A folder of clusters/ with no environment behind it is stale as a
whole when the render covered every environment (`Rendered.complete`). Files directly in
clusters/ belong to no environment and are left alone, by the check and by the write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gitops.render.state import Rendered
from gitops.repo.layout import Layout
from gitops.system.files import atomic_write

Status = Literal["added", "changed", "removed"]


@dataclass(frozen=True, order=True)
class FileChange:
    """A file of clusters/ that writing the render would add, change or remove."""

    path: Path
    status: Status
    env: str
    """The folder of clusters/ the file is in (an environment, or a folder without one)."""
    relative: str
    """The file's path under that folder, posix."""
    orphaned: bool = False
    """Removed because its folder belongs to no environment (not because the render dropped it)."""


def changes(layout: Layout, rendered: Rendered) -> list[FileChange]:
    """What writing `rendered` would change in clusters/, sorted by path.

    Per environment it holds, the files added, changed and removed; with `rendered.complete`,
    every file of a folder that is no environment's. Folders of failed environments are skipped.
    """
    found: list[FileChange] = []
    for env, files in rendered.files.items():
        folder = layout.cluster_dir(env)
        existing = files_under(folder)
        for relative, data in files.items():
            path = existing.get(relative)
            if path is None:
                found.append(FileChange(folder / relative, "added", env, relative))
            elif path.is_symlink() or path.read_bytes() != data:
                found.append(FileChange(path, "changed", env, relative))
        found += [
            FileChange(path, "removed", env, relative)
            for relative, path in existing.items()
            if relative not in files
        ]
    if rendered.complete:
        for folder in env_folders(layout):
            if folder.name not in rendered.files and folder.name not in rendered.failed:
                found += [
                    FileChange(path, "removed", folder.name, relative, orphaned=True)
                    for relative, path in files_under(folder).items()
                ]
    return sorted(found)


def write(layout: Layout, rendered: Rendered) -> list[FileChange]:
    """Make clusters/ equal to `rendered`: each file written atomically, stale ones deleted, and
    folders left empty removed. The changes made."""
    found = changes(layout, rendered)
    for change in found:
        if change.status != "removed":
            atomic_write(change.path, rendered.files[change.env][change.relative])
    for change in found:
        if change.status == "removed":
            change.path.unlink(missing_ok=True)
    _remove_empty_folders({change.path.parent for change in found}, layout.clusters_dir)
    return found


def first_difference(old: bytes, new: bytes) -> int:
    """The first line (1-based) where `old` and `new` differ."""
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if a != b:
            return number
    return min(len(old_lines), len(new_lines))


def files_under(folder: Path) -> dict[str, Path]:
    """Every file under `folder` (hidden ones and symbolic links included), by posix path."""
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): path
        for path in sorted(folder.rglob("*"))
        if path.is_file() or path.is_symlink()
    }


def env_folders(layout: Layout) -> list[Path]:
    """The folders directly in clusters/ (each one an environment's, or stale)."""
    root = layout.clusters_dir
    return sorted(child for child in root.iterdir() if child.is_dir()) if root.is_dir() else []


def _remove_empty_folders(folders: Iterable[Path], root: Path) -> None:
    """Remove each folder (and its parents up to `root`, excluded) that is now empty."""
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        current = folder
        while current != root and root in current.parents and current.is_dir():
            if any(current.iterdir()):
                break
            current.rmdir()
            current = current.parent
