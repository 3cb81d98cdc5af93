"""YAML files to `Manifest`s, with the line of every field, and findings instead of exceptions.

Each document is composed by PyYAML's C parser and walked once (`gitops.validation.yamlnodes`)
into the object, the line of each field and its duplicate keys. Documents that are empty, and
kustomize's own configuration files, are skipped silently. Nothing raises: a malformed file or
document becomes a GB001-GB003 finding.

A `kind: List` (or any `*List` kind, e.g. `RoleBindingList`) with `items:` is what kubectl applies
item by item, so each item becomes a `Manifest` of its own, with its own lines; the List itself is
not an object. Items inherit nothing from the List, except what kubectl's decoder gives an item
that has neither apiVersion nor kind: the List's apiVersion and its kind without "List"
(`decodeToList` in k8s.io/apimachinery pkg/apis/meta/v1/unstructured/helpers.go, commit
eed236ceee2c19c2753a3d93ac0631dc20750454); Lists in Lists are flattened as kubectl's
`FlattenListVisitor` does (k8s.io/cli-runtime pkg/resource/visitor.go, commit
69e8693b2560484b0b950d56006157200ab67947).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import yaml

from gitops.validation.model import FieldPath, Finding, Manifest
from gitops.validation.yamlnodes import MAX_NODES, GuardedWalk, Loader, TooBig, Walk

_NOT_OBJECTS = ("kustomize.config.k8s.io/",)  # kustomization.yaml and components: build input
NO_OBJECT = "-"


class Loaded(NamedTuple):
    manifests: list[Manifest]
    findings: list[Finding]


def load_file(path: Path, shown: str | None = None) -> Loaded:
    """Load every document of `path`; findings name it as `shown` (default: `path`)."""
    name = shown if shown is not None else str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Loaded([], [_finding(name, 1, "GB001", f"cannot read the file: {exc.strerror}")])
    return load_bytes(data, name)


def load_bytes(data: bytes, path: str) -> Loaded:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"the file is not UTF-8 text (byte {data[exc.start]:#04x}); save it as UTF-8"
        return Loaded([], [_finding(path, line, "GB001", message)])
    return load_text(text, path)


def load_text(text: str, path: str = "manifests.yaml") -> Loaded:
    """Every Kubernetes object in a YAML stream, and the findings about the stream."""
    manifests: list[Manifest] = []
    findings: list[Finding] = []
    guarded = "&" in text  # anchors exist: count nodes so aliases cannot explode the walk
    documents = yaml.compose_all(text, Loader=Loader)
    index = 0
    while True:
        try:
            node = next(documents)
        except StopIteration:
            break
        except yaml.YAMLError as exc:
            findings.append(_syntax_finding(path, exc, text))
            break
        except Exception as exc:
            findings.append(_finding(path, 1, "GB001", f"cannot parse the YAML: {exc}"))
            break
        if node is not None:
            _document(node, (path, index), guarded, manifests, findings)
        index += 1
    return Loaded(manifests, findings)


def _document(
    node: yaml.Node,
    where: tuple[str, int],
    guarded: bool,
    manifests: list[Manifest],
    findings: list[Finding],
) -> None:
    path = where[0]
    line = node.start_mark.line + 1
    lines: dict[FieldPath, int] = {}
    duplicates: list[tuple[FieldPath, int]] = []
    try:
        walker = GuardedWalk(lines, duplicates) if guarded else Walk(lines, duplicates)
        data = walker.node(node, ())
    except TooBig:
        message = f"the document expands to more than {MAX_NODES} nodes (aliases?); split it"
        findings.append(_finding(path, line, "GB001", message))
        return
    except RecursionError:
        message = "the document nests too deeply (an alias inside its own anchor?)"
        findings.append(_finding(path, line, "GB001", message))
        return
    except Exception as exc:
        findings.append(_finding(path, line, "GB001", f"cannot read this document: {exc}"))
        return
    if data is None:
        return
    out = Loaded(manifests, findings)
    if is_list(data):
        _list_items(data, _Where(path, where[1], line), (lines, duplicates), out)
    else:
        _object(data, _Where(path, where[1], line), (lines, duplicates), out)


class _Where(NamedTuple):
    """Where an object starts: its file, the document's index in it, its first line."""

    path: str
    document: int
    line: int


_Fields = tuple[dict[FieldPath, int], list[tuple[FieldPath, int]]]
"""The line of every field of an object, and its duplicate keys."""


def _object(data: Any, where: _Where, fields: _Fields, out: Loaded, item: str = "") -> None:
    """One object (a document, or an item of a List) as a Manifest, or the findings why not."""
    lines, duplicates = fields
    problem = _not_an_object(data, item)
    if problem is None and str(data["apiVersion"]).startswith(_NOT_OBJECTS):
        return
    obj = data if isinstance(data, dict) else {}
    manifest = Manifest(where.path, where.document, obj, where.line, lines)
    for dup_path, dup_line in duplicates:
        ref = manifest.ref if problem is None else NO_OBJECT
        out.findings.append(_duplicate_finding(where.path, dup_path, dup_line, ref))
    if problem is not None:
        out.findings.append(_finding(where.path, where.line, "GB003", problem))
        return
    out.manifests.append(manifest)


_MAX_LIST_DEPTH = 16


def is_list(data: Any) -> bool:
    """A List kubectl applies item by item: a kind ending in "List" with a list of `items`."""
    kind = data.get("kind") if isinstance(data, dict) else None
    return isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list)


def _list_items(
    data: dict[str, Any], where: _Where, fields: _Fields, out: Loaded, depth: int = 0
) -> None:
    """Each item of a List as an object of its own, at its own line, with its own field lines
    and duplicate keys (those of the List itself are reported without an object)."""
    lines, duplicates = fields
    items: dict[int, _Fields] = {i: ({}, []) for i in range(len(data["items"]))}
    for key, key_line in lines.items():
        i = _item_of(key)
        if i in items:
            items[i][0][key[2:]] = key_line
    for dup_path, dup_line in duplicates:
        i = _item_of(dup_path)
        if i in items:
            items[i][1].append((dup_path[2:], dup_line))
        else:
            out.findings.append(_duplicate_finding(where.path, dup_path, dup_line, NO_OBJECT))
    kind, api_version = str(data["kind"]), data.get("apiVersion")
    for i, item in enumerate(data["items"]):
        at = where._replace(line=lines.get(("items", i), where.line))
        obj = item
        if isinstance(item, dict) and not item.get("kind") and not item.get("apiVersion"):
            # kubectl's decoder names such an item after its List (RoleList: Role)
            obj = {**item, "kind": kind.removesuffix("List"), "apiVersion": api_version}
        if is_list(obj) and depth < _MAX_LIST_DEPTH:
            _list_items(obj, at, items[i], out, depth + 1)
        else:
            _object(obj, at, items[i], out, f"item {i} of the {kind}")


def _item_of(path: FieldPath) -> int:
    """The index of the List item a field path is inside (-1 for the List's own fields)."""
    if len(path) > 2 and path[0] == "items" and isinstance(path[1], int):
        return path[1]
    return -1


def _duplicate_finding(path: str, dup_path: FieldPath, line: int, obj: str) -> Finding:
    parent = ".".join(str(p) for p in dup_path[:-1]) or "the top level"
    return Finding(
        path,
        line,
        "error",
        "GB002",
        obj,
        f"key {dup_path[-1]!r} appears twice in {parent}; kubectl refuses the document "
        "and other tools keep only one of the values: remove one",
    )


def _not_an_object(data: Any, item: str = "") -> str | None:
    what = item or "the document"
    if not isinstance(data, dict):
        value = "a list" if isinstance(data, list) else f"the value {data!r}"
        return f"{what} is {value}, not a Kubernetes object (a mapping with apiVersion, kind)"
    missing = [key for key in ("apiVersion", "kind") if not data.get(key)]
    if missing:
        return (
            f"{what} has no {' or '.join(missing)}: every Kubernetes object needs "
            "apiVersion and kind (e.g. apiVersion: apps/v1, kind: Deployment)"
        )
    wrong = [key for key in ("apiVersion", "kind") if not isinstance(data[key], str)]
    if wrong:
        return f"{' and '.join(wrong)} must be a string"
    return None


def _syntax_finding(path: str, exc: yaml.YAMLError, text: str) -> Finding:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    message = f"YAML syntax error: {problem}"
    if context and context_mark is not None and context_mark.line + 1 != line:
        message += f" ({context} at line {context_mark.line + 1})"
    elif context:
        message += f" ({context})"
    source_lines = text.split("\n")
    source = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
    if "\t" in source:
        message += "; this line has a tab: indent YAML with spaces"
    return _finding(path, line, "GB001", message)


def _finding(path: str, line: int, rule: str, message: str) -> Finding:
    return Finding(path, line, "error", rule, NO_OBJECT, message)


def field_lines(text: str) -> dict[FieldPath, int]:
    """The line of every field of the first document of `text` ({} when it doesn't parse)."""
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError:
        return {}
    if node is None:
        return {}
    lines: dict[FieldPath, int] = {}
    try:
        GuardedWalk(lines, []).node(node, ())
    except (TooBig, Exception):
        return {}
    return lines
