"""The order in which each controller applies the folders of clusters/<env>/, from the entry
points under bootstrap/: Flux's `dependsOn`, Argo CD's sync waves within one app of apps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from gitops.render.controllers import CONTROLLERS, FLUX_KUSTOMIZE
from gitops.render.state import Rendered
from gitops.repo.layers import Layers, load_layers
from gitops.repo.layout import Layout
from gitops.validation.applyorder.needs import WAVE, Key
from gitops.validation.bootstrap import bootstrap_paths
from gitops.validation.files import yaml_files
from gitops.validation.loader import load_file
from gitops.validation.model import Manifest
from gitops.validation.rules._util import as_dict, items_of


@dataclass
class Unit:
    """An entry point of `controller` applying `files` of clusters/<env>/ (`folder`, `layer`)."""

    controller: str
    env: str
    layer: str
    folder: str
    files: list[str]
    entry: Manifest
    parent: str = ""  # Argo CD: the folder of bootstrap/ that an app-of-apps syncs it from
    wave: int = 0
    earlier: set[str] = field(default_factory=set)  # the names of those applied before it


def entry_points(
    layout: Layout, rendered: Rendered, layers: Layers | None = None
) -> dict[tuple[str, str], list[Unit]]:
    """Per (controller, environment), the entry points under bootstrap/ that apply rendered
    folders, each with those applied (and healthy) before it."""
    found = yaml_files(layout.bootstrap_dir) if layout.bootstrap_dir.is_dir() else []
    loaded = (load_file(p, layout.relative(p).as_posix()).manifests for p in found)
    entries = [m for ms in loaded for m in ms if m.kind in ("Kustomization", "Application")]
    layers = layers or load_layers(layout.layers_file, layout.relative(layout.layers_file))
    skip = {  # the folders of the other controller
        c: tuple(f"{layer}/{o}/" for layer in layers.per_controller for o in CONTROLLERS if o != c)
        for c in CONTROLLERS
    }
    clusters = layout.relative(layout.clusters_dir).as_posix() + "/"
    units = []
    for m in entries:
        controller = "flux" if m.group == FLUX_KUSTOMIZE else "argocd"
        for field_path, raw in bootstrap_paths(m):
            target = PurePosixPath(raw.strip() or ".").as_posix()
            env, _, sub = target.removeprefix(clusters).partition("/")
            if target.startswith(clusters) and env in rendered.files:
                recurse = controller == "flux" or m.get((*field_path[:-1], "directory", "recurse"))
                files = _applied(rendered.files[env], sub, recurse is True, skip[controller])
                units.append(Unit(controller, env, sub.partition("/")[0], target, files, m))
    _order(entries, units)
    plans: dict[tuple[str, str], list[Unit]] = {}
    for unit in units:
        plans.setdefault((unit.controller, unit.env), []).append(unit)
    return plans


def _applied(names: Iterable[str], sub: str, recurse: bool, skip: tuple[str, ...]) -> list[str]:
    """The rendered files an entry point of folder `sub` applies (not another controller's)."""
    prefix = f"{sub}/" if sub else ""
    return [
        name
        for name in names
        if name.startswith(prefix)
        and (recurse or "/" not in name[len(prefix) :])
        and not name.startswith(skip)
    ]


def _order(entries: list[Manifest], units: list[Unit]) -> None:
    """`earlier`: Flux, the `dependsOn` ancestors (in the same folder of bootstrap/); Argo CD,
    the Applications an app-of-apps syncs from the same folder with a lower sync wave."""
    flux = (m for m in entries if m.group == FLUX_KUSTOMIZE)
    graph = {_id(m): {_id(m, d) for _, d in items_of(m.get(("spec", "dependsOn")))} for m in flux}
    apps = (m for m in entries if m.kind == "Application")
    parents = {PurePosixPath(raw.strip()).as_posix() for m in apps for _, raw in bootstrap_paths(m)}
    for unit in units:
        if unit.controller == "flux":
            unit.earlier = {key[-1] for key in _ancestors(graph, _id(unit.entry))}
            continue
        ups = (p.as_posix() for p in PurePosixPath(unit.entry.path).parents)
        unit.parent = next((p for p in ups if p in parents), "")
        wave = str(as_dict(unit.entry.metadata.get("annotations")).get(WAVE, "0")).strip()
        unit.wave = int(wave) if wave.lstrip("-").isdigit() else 0
    for unit in units:
        if unit.controller == "argocd" and unit.parent:
            same = [u for u in units if u.controller == "argocd" and u.parent == unit.parent]
            unit.earlier = {u.entry.name for u in same if u.wave < unit.wave}


def _id(m: Manifest, ref: dict[str, Any] | None = None) -> Key:
    ref = ref or {}
    folder = PurePosixPath(m.path).parent.as_posix()
    return folder, str(ref.get("namespace") or m.namespace), str(ref.get("name") or m.name)


def _ancestors(graph: Mapping[Key, set[Key]], start: Key) -> set[Key]:
    seen: set[Key] = set()
    todo = list(graph.get(start, ()))
    while todo:
        if (key := todo.pop()) not in seen:
            seen.add(key)
            todo.extend(graph.get(key, ()))
    return seen
