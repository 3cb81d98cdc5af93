"""A SealedSecret file in an overlay: read it, and write it back changed in spec.encryptedData only.

The edit goes through ruamel.yaml's round-trip mode with the indentation settings that reproduce
the file exactly as it is, so comments, key order and quoting stay; the result is checked: no
line outside spec.encryptedData may differ. A file ruamel cannot reproduce is refused rather
than reformatted. The file is replaced atomically. Only sealed values pass through here.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import product
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from gitops.errors import ConfigError
from gitops.repo.configyaml import load_config_yaml, node_line
from gitops.secrets.sealing import API_VERSION, KIND
from gitops.system.files import atomic_write

DOCUMENT_START = "---\n"
"""What `kubeseal --format yaml` writes first (pkg/kubeseal/kubeseal.go:397-398); kept if there."""


@dataclass(frozen=True)
class SealedSecretFile:
    """A SealedSecret file as read: `text` and `document` are None when it does not exist yet."""

    path: Path
    shown: Path | str
    text: str | None
    document: CommentedMap | None


def read_sealed_secret(path: Path, shown: Path | str | None = None) -> SealedSecretFile:
    """The SealedSecret in `path` (named `shown` in errors); a ConfigError if it is not one."""
    where = path if shown is None else shown
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return SealedSecretFile(path, where, None, None)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read it: {exc}", path=where) from None
    document = load_config_yaml(text, where, preserve_quotes=True)
    _check_document(document, where)
    return SealedSecretFile(path, where, text, document)


def rendered(
    file: SealedSecretFile, document: Mapping[str, Any], *, header: str | None = None
) -> str:
    """The text `document` is written as: the file with only spec.encryptedData lines changed
    (`file.document` must be as read: pass a copy such as `merge_key` returns), or, for a new
    file, kubeseal's layout under `header` (comment lines; ignored for an existing file)."""
    if file.text is None:
        comment = "".join(f"# {line}".rstrip() + "\n" for line in (header or "").splitlines())
        return comment + _dump(_new_yaml(), document)
    original = file.text if file.text.endswith("\n") else file.text + "\n"
    start = DOCUMENT_START if original.startswith(DOCUMENT_START) else ""
    text = start + _dump(_faithful_yaml(file, original.removeprefix(start)), document)
    _check_only_items_changed(original, text, file.shown)
    if YAML(typ="safe").load(text) != document:  # pragma: no cover - a safety net
        raise ConfigError("writing the SealedSecret went wrong; edit it by hand", path=file.shown)
    return text


def write_sealed_secret(
    file: SealedSecretFile, document: Mapping[str, Any], *, header: str | None = None
) -> str:
    """Write `document` to the file atomically (see `rendered`); the text written."""
    text = rendered(file, document, header=header)
    atomic_write(file.path, text)
    return text


def _check_document(document: Any, shown: Path | str) -> None:
    if not isinstance(document, CommentedMap):
        raise ConfigError(f"not a {KIND}: the file holds no mapping", path=shown, line=1)
    if document.get("kind") != KIND or document.get("apiVersion") != API_VERSION:
        raise ConfigError(
            f"not a {KIND}: expected apiVersion {API_VERSION} and kind {KIND}",
            path=shown,
            line=node_line(document, "kind"),
        )
    spec = document.get("spec")
    items = spec.get("encryptedData") if isinstance(spec, CommentedMap) else None
    if not isinstance(items, CommentedMap):
        raise ConfigError(
            "no spec.encryptedData mapping", path=shown, line=node_line(document, "spec")
        )
    for key, value in items.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ConfigError(
                f"spec.encryptedData.{key}: a sealed value is a string",
                path=shown,
                line=node_line(items, key),
            )


def _new_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _yamls() -> Iterator[YAML]:
    """Round-trip settings to try, most common first."""
    for mapping, sequence, offset in product((2, 4), (2, 4), (0, 2)):
        if offset < sequence:
            yaml = YAML(typ="rt")
            yaml.preserve_quotes = True
            yaml.width = 4096
            yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
            yield yaml


def _faithful_yaml(file: SealedSecretFile, original: str) -> YAML:
    """The round-trip settings that give back the file (less its `---` line) byte for byte."""
    for yaml in _yamls():
        if _dump(yaml, file.document) == original:
            return yaml
    raise ConfigError(
        "cannot change it without reformatting it (ruamel.yaml does not reproduce it as is); "
        "write it in block style indented by 2 spaces and retry",
        path=file.shown,
    )


def _check_only_items_changed(original: str, text: str, shown: Path | str) -> None:
    old, new = original.splitlines(), text.splitlines()
    old_allowed, new_allowed = _items_lines(original), _items_lines(text)
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal" and not (
            set(range(i1, i2)) <= old_allowed and set(range(j1, j2)) <= new_allowed
        ):
            raise ConfigError(  # pragma: no cover - a safety net
                f"writing it would change line {i1 + 1}, outside spec.encryptedData; "
                "edit it by hand",
                path=shown,
            )


def _items_lines(text: str) -> set[int]:
    """The 0-based lines of `encryptedData:` and of the block below it."""
    lines = text.splitlines()
    first = int(YAML(typ="rt").load(text)["spec"].lc.key("encryptedData")[0])
    indent = len(lines[first]) - len(lines[first].lstrip(" "))
    end = first + 1
    while end < len(lines):
        stripped = lines[end].lstrip(" ")
        if stripped and not stripped.startswith("#") and len(lines[end]) - len(stripped) <= indent:
            break
        end += 1
    return set(range(first, end))


def _dump(yaml: YAML, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
