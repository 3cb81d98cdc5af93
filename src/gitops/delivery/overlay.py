"""Read and change the image an environment's overlay pins (its kustomization `images:` entry).

The change goes through ruamel.yaml's round-trip mode, so comments, key order and quoting stay;
the indentation settings are the ones that reproduce the file exactly before the edit, and the
result is checked: only the lines of the edited entry may differ. A file that ruamel cannot
reproduce is refused rather than reformatted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from gitops.delivery.imageref import (
    ImageRef,
    ImageRefError,
    from_kustomize_entry,
    to_kustomize_fields,
)
from gitops.delivery.target import Target
from gitops.errors import ConfigError
from gitops.repo.configyaml import load_config_yaml

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True)
class OverlayImage:
    """Where an environment pins its image, and what it pins."""

    file: Path
    line: int
    ref: ImageRef


def kustomization_file(overlay_dir: Path) -> Path:
    for name in KUSTOMIZATION_NAMES:
        candidate = overlay_dir / name
        if candidate.is_file():
            return candidate
    raise ConfigError(f"{overlay_dir}: no kustomization.yaml in this overlay")


def read_overlay_image(target: Target, root: Path | None = None) -> OverlayImage:
    """The reference the target's overlay gives the image named by its facts (`image.name`)."""
    path = kustomization_file(target.overlay_dir)
    shown = _shown(path, root)
    data = _load(path.read_text(encoding="utf-8"), shown)
    entry = _find_entry(data, target, shown)
    line = entry.lc.line + 1
    try:
        ref = from_kustomize_entry(entry)
    except ImageRefError as exc:
        raise ConfigError(
            f"images entry {target.image.name!r}: {exc}", path=shown, line=line
        ) from None
    return OverlayImage(file=path, line=line, ref=ref)


def read_entry_from_text(text: str, image_name: str) -> ImageRef | None:
    """The reference in a kustomization's text (e.g. from a past commit); None if it has none."""
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError:
        return None
    for entry in _entries(data):
        if entry.get("name") == image_name:
            try:
                return from_kustomize_entry(entry)
            except ImageRefError:
                return None
    return None


def edited_kustomization(target: Target, ref: ImageRef, root: Path | None = None) -> bytes:
    """The overlay's kustomization with its image entry set to `ref`; the rest byte-identical."""
    path = kustomization_file(target.overlay_dir)
    shown = _shown(path, root)
    original = path.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    data = _load(original, shown)
    first, end = _entry_span(lines, _find_entry(data, target, shown).lc.line)
    yaml = _faithful_yaml(data, lines[first:end], target, shown)
    entry = _find_entry(data, target, shown)
    for key, value in to_kustomize_fields(ref).items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = _styled_like(entry.get(key), value)
    edited = _dump(yaml, data).splitlines(keepends=True)
    new_first, new_end = _entry_span(
        edited, _find_entry(yaml.load("".join(edited)), target, shown).lc.line
    )
    result = "".join(lines[:first] + edited[new_first:new_end] + lines[end:])
    if read_entry_from_text(result, target.image.name) != ref:  # pragma: no cover - a safety net
        raise ConfigError("editing the image entry went wrong; edit it by hand", path=shown)
    return result.encode("utf-8")


def _styled_like(old: Any, value: str) -> str:
    """`value` quoted as the value it replaces was (`"1.0.0"` stays double-quoted), so that an
    edit and its undo give back the same bytes."""
    styled: str = value
    if isinstance(old, DoubleQuotedScalarString):
        styled = DoubleQuotedScalarString(value)
    elif isinstance(old, SingleQuotedScalarString):
        styled = SingleQuotedScalarString(value)
    return styled


def _shown(path: Path, root: Path | None) -> Path:
    if root is None:
        return path
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return path


def _load(text: str, shown: Path) -> Any:
    return load_config_yaml(text, shown, preserve_quotes=True)


def _entries(data: Any) -> list[CommentedMap]:
    images = data.get("images") if isinstance(data, CommentedMap) else None
    if not isinstance(images, CommentedSeq):
        return []
    return [e for e in images if isinstance(e, CommentedMap)]


def _find_entry(data: Any, target: Target, shown: Path) -> CommentedMap:
    for entry in _entries(data):
        if entry.get("name") == target.image.name:
            return entry
    raise ConfigError(
        f"no `images:` entry with name: {target.image.name} (the image.name of "
        f"{target.facts_file.name}); add one with newName/newTag or digest",
        path=shown,
    )


def _faithful_yaml(data: Any, entry_lines: list[str], target: Target, shown: Path) -> YAML:
    """A round-trip YAML whose settings reproduce the entry's lines byte for byte (the rest of
    the file is never re-emitted, so its layout does not matter)."""
    for mapping, sequence, offset in product((2, 4), (2, 4), (0, 2)):
        if offset >= sequence:
            continue
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 4096
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        dumped = _dump(yaml, data).splitlines(keepends=True)
        try:
            again = _find_entry(yaml.load("".join(dumped)), target, shown)
        except (YAMLError, ConfigError):
            continue
        first, end = _entry_span(dumped, again.lc.line)
        if dumped[first:end] == entry_lines:
            return yaml
    raise ConfigError(
        f"cannot edit the images entry {target.image.name!r} without reformatting it (ruamel.yaml "
        "does not reproduce it as is); write it as a block mapping indented by 2 spaces and retry",
        path=shown,
    )


def _dump(yaml: YAML, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _entry_span(lines: list[str], first: int) -> tuple[int, int]:
    """Lines [first, end) of the sequence item starting at line `first`: up to the next
    non-blank line indented less than the item's keys."""
    indent = len(lines[first]) - len(lines[first].lstrip(" -"))
    end = first + 1
    while end < len(lines):
        line = lines[end]
        stripped = line.lstrip(" ")
        if stripped.strip() and len(line) - len(stripped) < indent:
            break
        end += 1
    return first, end
