"""The controllers' entry points under bootstrap/: each folder is one cluster's set of Argo CD or
Flux objects, checked like any manifests (with the Kubernetes version of the environment its path
names, else the oldest one), and every path they apply must exist or be filled by the render
(GB502)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from gitops.render.state import Rendered
from gitops.repo.environments import Environment
from gitops.repo.layout import Layout
from gitops.validation.engine import FactsSource, apply_suppressions, check_manifests, to_finding
from gitops.validation.files import yaml_files
from gitops.validation.loader import load_file
from gitops.validation.model import Facts, FieldPath, Finding, Issue, Manifest
from gitops.validation.schema.apiversions import minor
from gitops.validation.tally import Tally


def check_bootstrap(
    layout: Layout,
    environments: list[Environment],
    rendered: Rendered,
    tally: Tally | None = None,
) -> list[Finding]:
    """The controllers' entry points: each folder of bootstrap/ is one cluster's set, checked
    with the Kubernetes version of the environment its path names (else the oldest one)."""
    folder = layout.bootstrap_dir
    if not folder.is_dir():
        return []
    folders = rendered_folders(layout, rendered)
    by_name = {env.name: env for env in environments}
    oldest = min((env.kubernetes_version for env in environments), key=minor, default=None)
    groups: dict[Path, list[Path]] = {}
    for path in yaml_files(folder):
        groups.setdefault(path.parent, []).append(path)
    findings: list[Finding] = []
    for group, files in sorted(groups.items()):
        manifests: list[Manifest] = []
        for path in files:
            loaded = load_file(path, layout.relative(path).as_posix())
            manifests.extend(loaded.manifests)
            findings.extend(loaded.findings)
        env = next((by_name[p] for p in reversed(group.parts) if p in by_name), None)
        version = env.kubernetes_version if env else oldest
        if tally is not None:
            tally.count(len(files), len(manifests))
        facts = Facts(environment="bootstrap")
        facts = replace(facts, kubernetes_version=version) if version else facts
        checked = check_manifests(manifests, facts)
        for manifest in manifests:
            for issue in bootstrap_path_issues(manifest, layout, folders):
                checked.append(to_finding("GB502", "error", issue, FactsSource()).finding)
        findings.extend(apply_suppressions(checked, manifests))
    return findings


def bootstrap_paths(manifest: Manifest) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(field path, repository path) of each folder a controller entry point applies."""
    group = manifest.group
    spec = manifest.obj.get("spec")
    if not isinstance(spec, dict):
        return
    if group == "argoproj.io" and manifest.kind == "Application":
        sources: list[tuple[FieldPath, Any]] = [(("spec", "source"), spec.get("source"))]
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
    for env, files in rendered.files.items():
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
