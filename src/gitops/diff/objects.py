"""Cluster-state diff: what each environment's cluster would receive, before and after a change.

Input is two renders (`gitops.render.state.Rendered`); output is, per environment, the objects
added, removed and changed, keyed by kind, namespace and name (so a renamed file is not a change),
each with a unified diff of its YAML. The generated header lines are left out, and Secret values
never appear: each is replaced by a marker that is equal on both sides when the value is equal (an
HMAC under a key made for this one diff, so the marker says "changed" without being a hash anyone
could brute-force back to a short password).
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from gitops.render.objects import object_ref, strip_header
from gitops.render.state import Rendered

Status = Literal["added", "removed", "changed"]
Presence = Literal["both", "added", "removed"]
ObjectKey = tuple[str, str, str]
"""kind, namespace, name"""
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
SECRET_FIELDS = ("data", "stringData")


@dataclass(frozen=True)
class ImageChange:
    container: str
    old: str
    new: str


@dataclass(frozen=True)
class ObjectChange:
    status: Status
    ref: str
    """`Kind/namespace/name` (or `Kind/name` without a namespace): `render.objects.object_ref`."""
    file: str
    patch: str
    images: tuple[ImageChange, ...] = ()
    fields: tuple[str, ...] = ()
    """Changed field paths other than container images, e.g. `spec.replicas`."""


@dataclass(frozen=True)
class EnvironmentDiff:
    env: str
    presence: Presence
    changes: tuple[ObjectChange, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> bool:
        return bool(self.changes) or self.presence != "both"

    def count(self, status: Status) -> int:
        return sum(1 for c in self.changes if c.status == status)


@dataclass(frozen=True)
class _Object:
    key: tuple[str, str, str]
    ref: str
    file: str
    text: str
    data: Any


def diff_renders(
    base: Rendered, head: Rendered, envs: list[str] | None = None
) -> list[EnvironmentDiff]:
    """The per-environment difference between two renders, in environment name order."""
    masker = _SecretMasker()
    names = sorted(set(base.files) | set(head.files)) if envs is None else envs
    result = []
    for env in names:
        presence: Presence = "both"
        if env not in base.files:
            presence = "added"
        elif env not in head.files:
            presence = "removed"
        old = _objects(base.of(env), masker)
        new = _objects(head.of(env), masker)
        compared = (_compare(env, old.get(k), new.get(k)) for k in _ordered_keys(old, new))
        result.append(EnvironmentDiff(env, presence, tuple(c for c in compared if c is not None)))
    return result


def _ordered_keys(
    old: Mapping[ObjectKey, _Object], new: Mapping[ObjectKey, _Object]
) -> list[ObjectKey]:
    def file_of(key: ObjectKey) -> str:
        return (new.get(key) or old[key]).file

    return sorted(set(old) | set(new), key=lambda k: (file_of(k), k))


def _compare(env: str, old: _Object | None, new: _Object | None) -> ObjectChange | None:
    if old is not None and new is not None and old.text == new.text:
        return None
    label_old = f"a/clusters/{env}/{old.file}" if old else "/dev/null"
    label_new = f"b/clusters/{env}/{new.file}" if new else "/dev/null"
    patch = "".join(
        difflib.unified_diff(
            _lines(old.text if old else ""),
            _lines(new.text if new else ""),
            fromfile=label_old,
            tofile=label_new,
        )
    )
    some = new or old
    assert some is not None
    if old is None or new is None:
        return ObjectChange("added" if old is None else "removed", some.ref, some.file, patch)
    images = tuple(_image_changes(old.data, new.data))
    fields = tuple(p for p in _changed_paths(old.data, new.data) if not _is_image_path(p))
    return ObjectChange("changed", new.ref, new.file, patch, images, fields)


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


# ---- reading rendered files


def _objects(
    files: Mapping[str, bytes], masker: _SecretMasker
) -> dict[tuple[str, str, str], _Object]:
    objects: dict[tuple[str, str, str], _Object] = {}
    for name in sorted(files):
        body = strip_header(files[name].decode("utf-8", errors="replace"))
        try:
            docs = [d for d in yaml.safe_load_all(body) if d is not None]
        except yaml.YAMLError:
            docs = []
        if not docs or not all(isinstance(d, dict) and d.get("kind") for d in docs):
            objects[("", "", name)] = _Object(("", "", name), f"file {name}", name, body, None)
            continue
        for doc in docs:
            key, ref = _identity(doc)
            if key in objects:  # same object twice: keep both visible
                key = (*key[:2], f"{key[2]} ({name})")
            text = body if len(docs) == 1 else yaml.safe_dump(doc, sort_keys=False)
            data = doc
            if doc.get("kind") == "Secret":
                data = masker.mask(doc)
                text = yaml.safe_dump(data, sort_keys=False, width=4096)
            objects[key] = _Object(key, ref, name, text, data)
    return objects


def _identity(doc: dict[str, Any]) -> tuple[tuple[str, str, str], str]:
    metadata = doc.get("metadata")
    meta: dict[str, Any] = metadata if isinstance(metadata, dict) else {}
    key = (str(doc.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name") or "?"))
    return key, object_ref(doc)


class _SecretMasker:
    """Replaces Secret values by `<hidden:8 hex>`, equal for equal values within one diff."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def marker(self, value: Any) -> str:
        digest = hmac.new(self._key, str(value).encode(), hashlib.sha256).hexdigest()
        return f"<hidden:{digest[:8]}>"

    def mask(self, doc: dict[str, Any]) -> dict[str, Any]:
        masked = dict(doc)
        for key in SECRET_FIELDS:
            values = doc.get(key)
            if isinstance(values, dict):
                masked[key] = {k: self.marker(v) for k, v in values.items()}
            elif values is not None:
                masked[key] = self.marker(values)
        return masked


# ---- what changed inside an object


def _image_changes(old: Any, new: Any) -> Iterator[ImageChange]:
    old_images = dict(_container_images(old))
    for container, image in _container_images(new):
        before = old_images.get(container)
        if before is not None and before != image:
            yield ImageChange(container, before, image)


def _container_images(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(`path.to.containers[name]`, image) for every container in `node`."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if key in CONTAINER_LISTS and isinstance(value, list):
                for item in value:
                    if isinstance(item, dict) and "image" in item:
                        yield f"{here}[{item.get('name', '?')}]", str(item["image"])
            else:
                yield from _container_images(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _container_images(item, f"{path}[{index}]")


def _is_image_path(path: str) -> bool:
    return path.endswith(".image") and any(f"{name}[" in path for name in CONTAINER_LISTS)


def _changed_paths(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """Field paths whose values differ; list items with a `name` are matched by name."""
    if isinstance(old, dict) and isinstance(new, dict):
        yield from _changed_members(old, new, lambda key: f"{path}.{key}" if path else str(key))
    elif isinstance(old, list) and isinstance(new, list) and _named(old) and _named(new):
        old_by, new_by = {i["name"]: i for i in old}, {i["name"]: i for i in new}
        yield from _changed_members(old_by, new_by, lambda name: f"{path}[{name}]")
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                yield from _changed_paths(a, b, f"{path}[{index}]")
    elif old != new:
        yield path or "(whole object)"


def _changed_members(
    old: dict[Any, Any], new: dict[Any, Any], where: Callable[[Any], str]
) -> Iterator[str]:
    """The changed paths below two mappings: a key on one side only is a change itself."""
    for key in list(old) + [k for k in new if k not in old]:
        if key not in old or key not in new:
            yield where(key)
        elif old[key] != new[key]:
            yield from _changed_paths(old[key], new[key], where(key))


def _named(items: list[Any]) -> bool:
    names = [i.get("name") for i in items if isinstance(i, dict)]
    return len(names) == len(items) and all(names) and len(set(names)) == len(names)
