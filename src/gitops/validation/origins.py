"""Where a rendered object came from: the source file and line a finding should name.

People edit `apps/` (base, components, overlays), never `clusters/`. For each environment that
has findings, kustomize builds the overlay once more, in memory, with its origin annotations
(`Kustomize.build_with_origins`): every object then says which file of `apps/` it came from.
A finding moves from the rendered file to that file only when that is certain:

1. The object is paired with its document. kustomize lists each file's objects in the order of
   the file; the pairing holds only when the whole file lines up: as many objects as documents
   (local-config ones left out, as kustomize drops them), and each pair with the same apiVersion,
   kind and name. A name that a prefix, suffix or patch changed, a document deleted by a patch,
   or a file reached twice all break the pairing, and the file's findings stay where they are.
2. The field holds the same value in the source as in the render. The lists on the way must line
   up too (same length, same item names), so that `containers/0` is the same container. A value
   an overlay patched, an image that `images:` rewrote, a namespace kustomize set: all differ,
   and their findings stay in the rendered file.
3. A field that is absent from the render (a missing readinessProbe) is found at its nearest
   existing parent, under the same condition: that parent must be the same in the source as in
   the render, down to every value, so the field is absent there too and nothing added it later.

A moved finding keeps its rendered location (`Finding.rendered`). Objects that a generator made
(ConfigMaps from `configMapGenerator`) or that come from a remote repository stay rendered too.
One case stays ambiguous by nature: an overlay patch that sets a field to the value the base
already has leaves the base's line named (the value is there too, and the rendered location is
given). Anything unexpected (kustomize fails, an annotation that does not parse) moves nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from gitops.errors import GitopsError
from gitops.repo.layout import Layout
from gitops.validation.loader import Loaded, load_file
from gitops.validation.model import FieldPath, Finding, Located, Location, Manifest

ORIGIN = "config.kubernetes.io/origin"
LOCAL_CONFIG = "config.kubernetes.io/local-config"
_FastLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # a safe loader, in C
_MISSING = object()

Identity = tuple[str, str, str, str]  # apiVersion, kind, namespace, name (after the build)
SourceCache = dict[Path, Loaded]


@dataclass(frozen=True)
class Origins:
    """The source document of each rendered object whose file lines up (see the module doc)."""

    documents: Mapping[Identity, Manifest] = field(default_factory=dict)

    def locate(self, manifest: Manifest, path: FieldPath) -> Location | None:
        """The source file and line of `path` in `manifest`, or None when it is not certain."""
        source = self.documents.get(identity(manifest))
        if source is None:
            return None
        line = source_line(source, manifest, path)
        return None if line is None else Location(source.path, line)


def attribute_environments(
    layout: Layout, overlays: Mapping[str, list[Path]], checked: Mapping[str, list[Located]]
) -> list[Finding]:
    """The findings of every environment (`checked`, by name; `overlays` the folders of its
    apps' overlays), moved where certain. Only environments with findings about objects are
    built again, with origin annotations, in parallel: a clean repository pays nothing."""
    wanted = [name for name, items in checked.items() if about_objects(items)]
    sources: SourceCache = {}  # the files of apps/ loaded once, shared by the environments

    def build(name: str) -> Origins:
        documents: dict[Identity, Manifest] = {}
        for overlay in overlays[name]:
            if overlay.is_dir():
                documents.update(environment_origins(layout, overlay, sources).documents)
        return Origins(documents)

    with ThreadPoolExecutor(max_workers=max(1, min(4, len(wanted)))) as pool:
        known = dict(zip(wanted, pool.map(build, wanted), strict=True))
    findings: list[Finding] = []
    for name, items in checked.items():
        findings.extend(attribute(items, known.get(name, Origins())))
    return findings


def about_objects(located: Iterable[Located]) -> bool:
    """Whether any finding is about an object (only then is the origin build worth its cost)."""
    return any(item.manifest is not None for item in located)


def attribute(located: Iterable[Located], origins: Origins) -> list[Finding]:
    """Each finding moved to its source where certain, with its rendered location kept."""
    findings = []
    for finding, manifest, path in located:
        where = origins.locate(manifest, path) if manifest is not None else None
        if where is None:
            findings.append(finding)
        else:
            rendered = Location(finding.path, finding.line)
            findings.append(replace(finding, path=where.path, line=where.line, rendered=rendered))
    return findings


def environment_origins(layout: Layout, overlay: Path, cache: SourceCache) -> Origins:
    """Build `overlay` with origin annotations and pair its objects with their documents.

    `cache` keeps the source files loaded across environments (they share the base)."""
    from gitops.render.kustomize import find_kustomize

    try:
        stream, wrapper = find_kustomize().build_with_origins(overlay, layout.relative(overlay))
        objects = [o for o in yaml.load_all(stream, Loader=_FastLoader) if isinstance(o, dict)]
    except (GitopsError, OSError, yaml.YAMLError):
        return Origins()  # not certain of anything: every finding keeps its rendered location
    by_file: dict[Path, list[Identity]] = {}
    for obj in objects:
        source = _origin_file(obj, wrapper, layout.root)
        if source is not None:
            by_file.setdefault(source, []).append(_identity(obj))
    documents: dict[Identity, Manifest] = {}
    for path, identities in by_file.items():
        if path not in cache:
            cache[path] = load_file(path, layout.relative(path).as_posix())
        documents.update(pair_documents(identities, cache[path]))
    return Origins(documents)


def pair_documents(identities: list[Identity], loaded: Loaded) -> dict[Identity, Manifest]:
    """The built objects of one file (in kustomize's order) with the file's documents, or {}
    unless every object pairs with the document at its place (same apiVersion, kind, name)."""
    if loaded.findings:
        return {}
    documents = [m for m in loaded.manifests if not _local_config(m)]
    if len(documents) != len(identities):
        return {}
    for (api_version, kind, _, name), document in zip(identities, documents, strict=True):
        if (api_version, kind, name) != (document.api_version, document.kind, document.name):
            return {}
    return dict(zip(identities, documents, strict=True))


def source_line(source: Manifest, rendered: Manifest, path: FieldPath) -> int | None:
    """The line of `path` in `source` when it holds there what the render holds (or, for a
    field absent from the render, of its nearest parent when that parent is the same)."""
    depth = _existing_depth(rendered.obj, path)
    anchor = tuple(path[:depth])
    if not _aligned(source.obj, rendered.obj, anchor):
        return None
    if not same(_get(source.obj, anchor), _get(rendered.obj, anchor)):
        return None
    return source.lines.get(anchor, source.line) if anchor else source.line


def same(a: Any, b: Any) -> bool:
    """Deep equality that tells types apart (True is not 1, 1 is not 1.0, "1" is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def identity(manifest: Manifest) -> Identity:
    return (manifest.api_version, manifest.kind, manifest.namespace, manifest.name)


# ---- helpers


def _identity(obj: Mapping[str, Any]) -> Identity:
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    return (
        str(obj.get("apiVersion", "")),
        str(obj.get("kind", "")),
        str(metadata.get("namespace") or ""),
        str(metadata.get("name", "")),
    )


def _origin_file(obj: Mapping[str, Any], wrapper: Path, root: Path) -> Path | None:
    """The local file of the repository the object came from (None: generated, remote, outside
    the repository, or no annotation)."""
    metadata = obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    text = annotations.get(ORIGIN) if isinstance(annotations, dict) else None
    if not isinstance(text, str):
        return None
    try:
        origin = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    local = isinstance(origin, dict) and not origin.get("repo")
    if not local or not isinstance(origin.get("path"), str):
        return None
    path = Path(os.path.normpath(wrapper / origin["path"]))
    real_root = root.resolve()
    if real_root not in path.parents or not path.is_file():
        return None
    return path


def _local_config(manifest: Manifest) -> bool:
    """kustomize drops a document with this annotation unless its value is the string false."""
    annotations = manifest.metadata.get("annotations")
    if not isinstance(annotations, dict) or LOCAL_CONFIG not in annotations:
        return False
    value = annotations[LOCAL_CONFIG]
    return not (value == "false" or value is False)


def _existing_depth(obj: Any, path: FieldPath) -> int:
    """How many steps of `path` exist in `obj`."""
    node = obj
    for depth, step in enumerate(path):
        child = _child(node, step)
        if child is _MISSING:
            return depth
        node = child
    return len(path)


def _get(obj: Any, path: FieldPath) -> Any:
    node = obj
    for step in path:
        node = _child(node, step)
        if node is _MISSING:
            break
    return node


def _child(node: Any, step: str | int) -> Any:
    if isinstance(step, int) and not isinstance(step, bool):
        return node[step] if isinstance(node, list) and 0 <= step < len(node) else _MISSING
    return node[step] if isinstance(node, dict) and step in node else _MISSING


def _aligned(source: Any, rendered: Any, path: FieldPath) -> bool:
    """Every list on `path` has the same length and item names in both: the same index is the
    same item (a patch that inserts or reorders containers breaks this)."""
    for step in path:
        if isinstance(step, int):
            if not (isinstance(source, list) and isinstance(rendered, list)):
                return False
            if [_item_name(x) for x in source] != [_item_name(x) for x in rendered]:
                return False
        source, rendered = _child(source, step), _child(rendered, step)
        if source is _MISSING or rendered is _MISSING:
            return False
    return True


def _item_name(item: Any) -> Any:
    return item.get("name", _MISSING) if isinstance(item, dict) else _MISSING
