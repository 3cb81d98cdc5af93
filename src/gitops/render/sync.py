"""Is clusters/ in sync with a render, and making it so: the one check behind `render --check`,
`render` and validate's GB501.

Each folder `clusters/<env>/` belongs to the render wholly: every file in it that the render does
not produce is stale, whatever its name or type (a `.keep`, a README, an object deleted from
apps/), and `render` deletes it. A folder of clusters/ with no environment behind it is stale as a
whole when the render covered every environment (`Rendered.complete`), and deleted only when
asked (`prune`). Files directly in clusters/ belong to no environment and are left alone, by the
check and by the write, but for one: the write records which kustomize rendered clusters/ in
`clusters/.rendered-by` (`gitops.render.renderedby`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gitops.render import renderedby
from gitops.render.kustomize import ToolVersion, tool_version
from gitops.render.state import Rendered
from gitops.repo.layout import Layout
from gitops.system.signals import signals_held

Status = Literal["added", "changed", "removed"]
STAGING_PREFIX = ".gitops-render-"
"""Folders at the repository root where a render stages its files (in .gitignore)."""


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


def write(layout: Layout, rendered: Rendered, *, prune: bool = False) -> list[FileChange]:
    """Make clusters/ equal to `rendered`; the changes made.

    Each environment that changes is written whole into a staging folder first, then swapped into
    place while SIGTERM, SIGHUP and SIGINT are held: an interrupted write leaves clusters/ as it
    was, a finished one leaves it complete. Folders that belong to no environment are deleted
    only with `prune` (removing an environment is an explicit act); without it they stay, and
    `orphans` tells the caller which they are. The tool that rendered is recorded when files
    changed, or when the render covered every environment (then it made all of clusters/).
    """
    found = changes(layout, rendered)
    found = [change for change in found if prune or not change.orphaned]
    version = None
    if rendered.kustomize is not None and (found or rendered.complete):
        version = tool_version(rendered.kustomize)
    if found:
        _swap(layout, rendered, found, version)
    elif version is not None:
        renderedby.record(layout, version)
    return found


def _swap(
    layout: Layout, rendered: Rendered, found: list[FileChange], version: ToolVersion | None
) -> None:
    """Stage each changed environment whole, then swap them into place and record `version`,
    the tool that rendered them, with them (see `write`)."""
    root = layout.clusters_dir
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(layout.root)
    staging: Path | None = None
    try:
        with signals_held():  # the folder exists only once the `finally` below will remove it
            staging = Path(
                tempfile.mkdtemp(dir=layout.root, prefix=f"{STAGING_PREFIX}{os.getpid()}-")
            )
        built = {
            env: _stage(staging / "new" / env, rendered.files[env]) for env in _changed_envs(found)
        }
        gone = sorted({change.env for change in found if change.orphaned})
        trash = staging / "old"
        trash.mkdir()
        with signals_held():
            for env, folder in built.items():
                _swap_in(folder, root / env, trash / env)
            for env in gone:
                (root / env).rename(trash / env)
            if version is not None:
                renderedby.record(layout, version)
    finally:
        if staging is not None:
            with signals_held():
                shutil.rmtree(staging, ignore_errors=True)


def orphans(layout: Layout, rendered: Rendered) -> list[str]:
    """Folders of clusters/ that belong to no environment (only a complete render knows)."""
    return sorted({change.env for change in changes(layout, rendered) if change.orphaned})


def _changed_envs(found: list[FileChange]) -> list[str]:
    return sorted({change.env for change in found if not change.orphaned})


def _stage(folder: Path, files: Mapping[str, bytes]) -> Path:
    """Write an environment's files under `folder`, flushed to disk; `folder`."""
    folder.mkdir(parents=True)
    for relative, data in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        path.chmod(0o644)
    return folder


def _swap_in(new: Path, target: Path, old: Path) -> None:
    """Put `new` where `target` is; the previous `target` (if any) goes to `old`."""
    if target.exists() or target.is_symlink():
        target.rename(old)
    new.rename(target)


def _remove_stale_staging(root: Path) -> None:
    """Staging folders of renders that were killed (SIGKILL, power loss) and left them behind."""
    for folder in root.glob(f"{STAGING_PREFIX}*"):
        pid = folder.name[len(STAGING_PREFIX) :].partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
