"""What changed inside one object: container images, and every other field with its values.

Lists whose items all have a unique `name` (containers, env, ports, volumes) are matched by name,
so a reordered or inserted item does not show as every later item changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
SHOWN_VALUE_MAX = 40
"""Scalar values up to this many characters are shown (`data.LOG_LEVEL: info → DEBUG`)."""
_ABSENT = object()


@dataclass(frozen=True)
class ImageChange:
    """A container (`spec.template.spec.containers[web]`) runs image `new` instead of `old`."""

    container: str
    old: str
    new: str


@dataclass(frozen=True)
class FieldChange:
    """One changed field, with its values where they are short scalars (never a Secret's)."""

    path: str
    old: Any = _ABSENT
    new: Any = _ABSENT
    masked: bool = False

    def describe(self) -> str:
        """`spec.replicas: 2 → 3`, `data.KEY: added`, `data.password: changed` (a Secret)."""
        if self.old is _ABSENT:
            return f"{self.path}: added"
        if self.new is _ABSENT:
            return f"{self.path}: removed"
        if self.masked or not (_shown(self.old) and _shown(self.new)):
            return f"{self.path}: changed"
        return f"{self.path}: {_text(self.old)} → {_text(self.new)}"


def image_changes(old: Any, new: Any) -> Iterator[ImageChange]:
    old_images = dict(_container_images(old))
    for container, image in _container_images(new):
        before = old_images.get(container)
        if before is not None and before != image:
            yield ImageChange(container, before, image)


def field_changes(old: Any, new: Any, *, masked: bool = False) -> list[FieldChange]:
    """Every changed field but container images (those are `image_changes`)."""
    found = _changed(old, new, "", masked)
    return [change for change in found if not _is_image_path(change.path)]


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


def _changed(old: Any, new: Any, path: str, masked: bool) -> list[FieldChange]:
    """Field paths whose values differ; list items with a `name` are matched by name."""
    if isinstance(old, dict) and isinstance(new, dict):
        return _members(old, new, lambda key: f"{path}.{key}" if path else str(key), masked)
    if isinstance(old, list) and isinstance(new, list) and _named(old) and _named(new):
        old_by, new_by = {i["name"]: i for i in old}, {i["name"]: i for i in new}
        return _members(old_by, new_by, lambda name: f"{path}[{name}]", masked)
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found: list[FieldChange] = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                found += _changed(a, b, f"{path}[{index}]", masked)
        return found
    if old != new:
        return [FieldChange(path or "(whole object)", old, new, masked)]
    return []


def _members(
    old: dict[Any, Any], new: dict[Any, Any], where: Callable[[Any], str], masked: bool
) -> list[FieldChange]:
    """The changed paths below two mappings: a key on one side only is a change itself."""
    found: list[FieldChange] = []
    for key in list(old) + [k for k in new if k not in old]:
        if key not in old:
            found.append(FieldChange(where(key), _ABSENT, new[key], masked))
        elif key not in new:
            found.append(FieldChange(where(key), old[key], _ABSENT, masked))
        elif old[key] != new[key]:
            found += _changed(old[key], new[key], where(key), masked)
    return found


def _named(items: list[Any]) -> bool:
    names = [i.get("name") for i in items if isinstance(i, dict)]
    return len(names) == len(items) and all(names) and len(set(names)) == len(names)


def _shown(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and len(str(value)) <= SHOWN_VALUE_MAX


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if value != "" else '""'
