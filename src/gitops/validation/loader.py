"""YAML files to `Manifest`s, with the line of every field, and findings instead of exceptions.

Each document is composed by PyYAML's C parser and walked once (`gitops.validation.yamlnodes`)
into the object, the line of each field and its duplicate keys. Documents that are empty, and
kustomize's own configuration files, are skipped silently. Nothing raises: a malformed file or
document becomes a GB001-GB003 finding.
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
    path, index = where
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
    problem = _not_an_object(data)
    if problem is None and str(data["apiVersion"]).startswith(_NOT_OBJECTS):
        return
    manifest = Manifest(path, index, data if isinstance(data, dict) else {}, line, lines)
    for dup_path, dup_line in duplicates:
        parent = ".".join(str(p) for p in dup_path[:-1]) or "the top level"
        findings.append(
            Finding(
                path,
                dup_line,
                "error",
                "GB002",
                manifest.ref if problem is None else NO_OBJECT,
                f"key {dup_path[-1]!r} appears twice in {parent}; kubectl refuses the document "
                "and other tools keep only one of the values: remove one",
            )
        )
    if problem is not None:
        findings.append(_finding(path, line, "GB003", problem))
        return
    manifests.append(manifest)


def _not_an_object(data: Any) -> str | None:
    if not isinstance(data, dict):
        what = "a list" if isinstance(data, list) else f"the value {data!r}"
        return f"the document is {what}, not a Kubernetes object (a mapping with apiVersion, kind)"
    missing = [key for key in ("apiVersion", "kind") if not data.get(key)]
    if missing:
        return (
            f"the document has no {' or '.join(missing)}: every Kubernetes object needs "
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
