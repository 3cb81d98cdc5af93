"""PyYAML nodes to plain data, with the line of every field: the loader's one walk.

PyYAML's C parser composes each document into nodes (which carry their line); `Walk` turns the
nodes into the plain data an API server would see (`Manifest.obj`), records the line of every key
and list item (`Manifest.lines`) and the duplicate keys. Scalars keep PyYAML's YAML 1.1 meaning
(`on`/`yes` are booleans, `0755` is octal, `1.10` is a float): kubectl's YAML-to-JSON reads them
the same, so the schema step then reports "expected a string" where a value needed quotes.
Timestamps and application tags stay the text that was written (JSON has no dates).
"""

from __future__ import annotations

from typing import Any, ClassVar

import yaml

from gitops.validation.model import FieldPath

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCT = yaml.SafeLoader("")  # converts int/float scalars with PyYAML's YAML 1.1 rules

_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
MERGE, MAP, SEQ = _TAG + "merge", _TAG + "map", _TAG + "seq"
_RESOLVE_CACHE = 50_000
_BOOLS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}
MAX_NODES = 200_000  # per document, against alias bombs ("billion laughs")


class Loader(_Base):  # type: ignore[misc]  # the C loader when PyYAML has one
    """PyYAML's safe loader (C parser when available) with a faster tag resolver.

    The parser asks the resolver for the tag of every node; PyYAML's resolver runs a few regular
    expressions per plain scalar, in Python, a third of the load time. Keys and values repeat
    (`name`, `image`, `http`), so the answer is cached per text; quoted scalars are strings and
    collections are maps and sequences without asking (no path resolvers are registered).
    """

    _cache: ClassVar[dict[str, str]] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return STR
            tag = self._cache.get(value)
            if tag is None:
                tag = _Base.resolve(self, kind, value, implicit)
                if len(self._cache) < _RESOLVE_CACHE:
                    self._cache[value] = tag
            return tag
        return MAP if kind is yaml.MappingNode else SEQ

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


class TooBig(Exception):
    """The document expands to more than MAX_NODES nodes."""


_Scalar, _Mapping, _Sequence = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode


class Walk:
    """Nodes to plain data, recording the line of every key and list item, and duplicate keys.

    Written for speed (it visits every node of every file): local names, no per-node dispatch
    for the common cases, strings returned without a function call.
    """

    def __init__(self, lines: dict[FieldPath, int], duplicates: list[tuple[FieldPath, int]]):
        self.lines = lines
        self.duplicates = duplicates

    def node(self, node: yaml.Node, path: FieldPath) -> Any:
        cls = node.__class__
        if cls is _Mapping:
            return self.mapping(node, path)  # type: ignore[arg-type]
        if cls is _Sequence:
            return self.sequence(node, path)  # type: ignore[arg-type]
        if cls is _Scalar:
            return scalar(node)  # type: ignore[arg-type]
        return None

    def mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        lines = self.lines
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            tag = key_node.tag
            if tag == STR and key_node.__class__ is _Scalar:
                key = key_node.value
            elif tag == MERGE:
                merged.append(value_node)
                continue
            else:
                key = _key_text(key_node)
            field = path + (key,)  # noqa: RUF005 - faster than (*path, key), per field
            line = key_node.start_mark.line + 1
            if key in result:
                self.duplicates.append((field, line))
            lines[field] = line
            cls = value_node.__class__
            if cls is _Scalar:
                result[key] = value_node.value if value_node.tag == STR else scalar(value_node)
            elif cls is _Mapping:
                result[key] = self.mapping(value_node, field)
            else:
                result[key] = self.node(value_node, field)
        if merged:
            self._merge(result, merged, path)
        return result

    def _merge(self, result: dict[str, Any], merged: list[yaml.Node], path: FieldPath) -> None:
        """`<<: *base` (or a list of them): keys not given explicitly come from the anchors."""
        for value_node in merged:
            sources = value_node.value if value_node.__class__ is _Sequence else [value_node]
            for source in sources:
                if source.__class__ is _Mapping:
                    for key, value in self.mapping(source, path).items():
                        result.setdefault(key, value)

    def sequence(self, node: yaml.SequenceNode, path: FieldPath) -> list[Any]:
        items = []
        lines = self.lines
        for i, item in enumerate(node.value):
            field = path + (i,)  # noqa: RUF005
            lines[field] = item.start_mark.line + 1
            if item.__class__ is _Scalar:
                items.append(item.value if item.tag == STR else scalar(item))
            else:
                items.append(self.node(item, field))
        return items


class GuardedWalk(Walk):
    """The same walk, counting nodes: aliases may repeat a subtree any number of times."""

    def __init__(self, lines: dict[FieldPath, int], duplicates: list[tuple[FieldPath, int]]):
        super().__init__(lines, duplicates)
        self.count = 0

    def mapping(self, node: yaml.MappingNode, path: FieldPath) -> dict[str, Any]:
        self._count(len(node.value))
        return super().mapping(node, path)

    def sequence(self, node: yaml.SequenceNode, path: FieldPath) -> list[Any]:
        self._count(len(node.value))
        return super().sequence(node, path)

    def _count(self, nodes: int) -> None:
        self.count += nodes + 1
        if self.count > MAX_NODES:
            raise TooBig


def scalar(node: yaml.ScalarNode) -> Any:
    """The value of a scalar node, as PyYAML's safe loader reads it (dates stay text)."""
    tag, value = node.tag, node.value
    if tag == STR:
        return value
    if tag == INT and value.isdigit() and (value[0] != "0" or len(value) == 1):
        return int(value)
    convert = _CONVERTERS.get(tag)
    # timestamps, !!binary, application tags: the text as written
    return value if convert is None else convert(node)


_CONVERTERS: dict[str, Any] = {
    INT: _CONSTRUCT.construct_yaml_int,
    FLOAT: _CONSTRUCT.construct_yaml_float,
    BOOL: lambda node: _BOOLS.get(node.value.lower(), node.value),
    NULL: lambda node: None,
}


def _key_text(node: yaml.Node) -> str:
    """A mapping key as the API server's JSON would have it: always a string."""
    if isinstance(node, yaml.ScalarNode):
        value = scalar(node)
        if isinstance(value, bool):
            return "true" if value else "false"
        return "null" if value is None else str(value)
    return str(node.value)
