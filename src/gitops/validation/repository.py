"""The repository's own checks: committed clusters/ against a fresh render (GB501), and the paths
the controllers' entry points under bootstrap/ point at (GB502)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath

from gitops.layout import Layout
from gitops.validation.files import committed_files
from gitops.validation.loader import NO_OBJECT
from gitops.validation.model import Finding, Issue, Manifest

Rendered = Mapping[str, Mapping[str, bytes]]
RENDER_HINT = "run `nox -s render` and commit the result"


def sync_findings(layout: Layout, rendered: Rendered, environments: list[str]) -> list[Finding]:
    """One GB501 finding per file of clusters/ that a fresh render would add, change or remove.

    `environments` are every environment's name (also those whose render failed: their folder is
    neither compared nor reported as stale).
    """
    findings: list[Finding] = []
    for env, files in sorted(rendered.items()):
        base = f"{layout.relative(layout.cluster_dir(env)).as_posix()}"
        committed = committed_files(layout.cluster_dir(env))
        for name, data in sorted(files.items()):
            shown = f"{base}/{name}"
            path = committed.get(name)
            if path is None:
                message = f"the render produces this file but it is not in clusters/; {RENDER_HINT}"
                findings.append(_finding(shown, 1, message))
                continue
            current = path.read_bytes()
            if current != data:
                line = first_difference(current, data)
                message = (
                    f"differs from a fresh render from line {line} on (edited by hand, or apps/ "
                    f"changed without re-rendering); {RENDER_HINT}"
                )
                findings.append(_finding(shown, line, message))
        for name in sorted(set(committed) - set(files)):
            message = f"the render no longer produces this file; {RENDER_HINT} (it deletes it)"
            findings.append(_finding(f"{base}/{name}", 1, message))
    for folder in sorted(layout.clusters_dir.iterdir()) if layout.clusters_dir.is_dir() else ():
        if folder.is_dir() and not folder.name.startswith(".") and folder.name not in environments:
            base = layout.relative(folder).as_posix()
            for name in committed_files(folder):
                message = (
                    f"there is no environment {folder.name!r} (no "
                    f"{layout.relative(layout.overlay_dir(folder.name)).as_posix()}/environment"
                    f".yaml); delete {base}/ or add the environment"
                )
                findings.append(_finding(f"{base}/{name}", 1, message))
    return findings


def first_difference(old: bytes, new: bytes) -> int:
    """The first line (1-based) where `old` and `new` differ."""
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if a != b:
            return number
    return min(len(old_lines), len(new_lines))


def _finding(path: str, line: int, message: str) -> Finding:
    return Finding(path, line, "error", "GB501", NO_OBJECT, message)


def bootstrap_paths(manifest: Manifest) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(field path, repository path) of each folder a controller entry point applies."""
    group = manifest.group
    spec = manifest.obj.get("spec")
    if not isinstance(spec, dict):
        return
    if group == "argoproj.io" and manifest.kind == "Application":
        sources = [(("spec", "source"), spec.get("source"))]
        if isinstance(spec.get("sources"), list):
            sources += [(("spec", "sources", i), s) for i, s in enumerate(spec["sources"])]
        for field, source in sources:
            if isinstance(source, dict) and not source.get("chart"):
                path = source.get("path")
                if isinstance(path, str) and "{{" not in path:
                    yield (*field, "path"), path
    elif group == "kustomize.toolkit.fluxcd.io" and manifest.kind == "Kustomization":
        path = spec.get("path")
        if isinstance(path, str):
            yield ("spec", "path"), path


def rendered_folders(layout: Layout, rendered: Rendered) -> set[str]:
    """Every folder a fresh render fills (clusters/dev, clusters/dev/app, ...), as posix paths."""
    folders = set()
    for env, files in rendered.items():
        base = PurePosixPath(layout.relative(layout.cluster_dir(env)).as_posix())
        folders.add(base.as_posix())
        for name in files:
            folders.update((base / parent).as_posix() for parent in PurePosixPath(name).parents)
    return folders


def bootstrap_path_issues(manifest: Manifest, layout: Layout, folders: set[str]) -> Iterator[Issue]:
    """GB502: a path that is neither a folder of the repository nor one the render fills."""
    for field, raw in bootstrap_paths(manifest):
        relative = PurePosixPath(raw.strip() or ".")
        if relative.is_absolute() or ".." in relative.parts:
            message = f"path {raw!r} must be relative to the repository root, without '..'"
            yield Issue(manifest, field, message)
            continue
        normal = relative.as_posix()
        if normal in folders or (layout.root / normal).is_dir():
            continue
        parent = relative.parent.as_posix()
        siblings = sorted(
            {PurePosixPath(f).name for f in folders if PurePosixPath(f).parent.as_posix() == parent}
            | {p.name for p in (layout.root / parent).glob("*") if p.is_dir()}
        )
        guess = difflib.get_close_matches(relative.name, siblings, n=1)
        if guess:
            hint = f"; did you mean {(relative.parent / guess[0]).as_posix()!r}?"
        elif siblings:
            hint = f"; {parent}/ has: {', '.join(siblings)}"
        else:
            hint = f"; {parent}/ does not exist either" if parent != "." else ""
        yield Issue(manifest, field, f"path {raw!r} does not exist in this repository{hint}")
