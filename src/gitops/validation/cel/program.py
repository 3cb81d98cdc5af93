"""Compiling the rules of one CRD version once, into a tree that follows its schema.

The environment is the one the API server compiles CRD rules in, as far as cel-expr-python has it
(k8s.io/apiserver/pkg/cel/environment/base.go): the standard library (`has`, `all`, `exists`,
`exists_one`, `filter`, `map`, `size`, `matches` with RE2 syntax, `duration`, `timestamp`, …),
the strings extension at version 2 (`lowerAscii`, `upperAscii`, `split`, `join`, `format`,
`indexOf`, `replace`, `substring`, `trim`, …) and optional types (`self.?field`). Heterogeneous
numeric comparison (`1 < 1.5`) is cel-cpp's default, as CrossTypeNumericComparisons is Kubernetes'.
Kubernetes' own libraries (k8s.io/apiserver/pkg/cel/library: `isURL`/`url`, `quantity`,
`isSorted`, `find`/`findAll`, `ip`/`cidr`, `semver`, `format.*`) are not there: no vendored CRD
uses them; a rule that does fails to compile here and is listed by `--cel-report` as one that
cannot be evaluated (never reported as a finding). A function is added with a `cel.FunctionDecl`
passed to `NewEnv` (see cel-expr-python's README), with tests against the Kubernetes source.

Compiled programs are cached by expression text: the same rule in many CRDs compiles once. The rule
tree of a CRD version (`KindRules`) is cached by the identity of its `VersionSchema`, which the
vendored catalog and `crds.version_schema_from_crd` keep for the whole run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from gitops.validation.crds.extract import VersionSchema

Schema = dict[str, Any]
ITEMS, ADDITIONAL = "[*]", "*"  # path steps, as extract.strip_annotations writes them
_STRINGS = re.compile(
    r"""[rRbB]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')"""
)
_OLD_SELF = re.compile(r"\boldSelf\b")


@cache
def environment() -> Any:
    """The CEL environment (built on first use: importing and building it takes ~50 ms)."""
    from cel_expr_python import cel
    from cel_expr_python.ext import ext_optional, ext_strings

    return cel.NewEnv(
        variables={"self": cel.Type.DYN, "oldSelf": cel.Type.DYN},
        extensions=[ext_strings.ExtStrings(2), ext_optional.ExtOptional()],
    )


@cache
def error_type() -> Any:
    from cel_expr_python import cel

    return cel.Type.ERROR


@cache
def compile_expression(expression: str) -> tuple[Any, str | None]:
    """(program, None), or (None, why it does not compile)."""
    try:
        return environment().compile(expression), None
    except Exception as exc:  # cel-expr-python raises RuntimeError; any failure means "cannot"
        return None, _first_line(str(exc))


def uses_old_self(expression: str) -> bool:
    """A transition rule: it reads `oldSelf` (outside string literals)."""
    return bool(_OLD_SELF.search(_STRINGS.sub('""', expression)))


@dataclass
class Rule:
    """One `x-kubernetes-validations` entry of a CRD version, compiled."""

    path: str
    expression: str
    message: str = ""
    message_expression: str = ""
    field_path: str = ""
    reason: str = ""
    program: Any = None
    message_program: Any = None
    transition: bool = False
    error: str | None = None  # why it cannot be evaluated (compile error, unknown path)

    @property
    def evaluated(self) -> bool:
        return self.program is not None and not self.transition and self.error is None


@dataclass
class Node:
    """A schema node on the way to rules: the rules at it and the children that lead to more."""

    schema: Schema
    rules: list[Rule] = field(default_factory=list)
    properties: dict[str, Node] = field(default_factory=dict)
    items: Node | None = None
    additional: Node | None = None
    together: Any = None  # every rule at this node in one program: `[rule1, rule2, …]`


@dataclass
class KindRules:
    """The rules of one CRD version, and where that CRD comes from (for messages and reports)."""

    label: str  # "HTTPRoute gateway.networking.k8s.io/v1"
    origin: str  # "vendored", or the file of the CRD in the validated set
    rules: list[Rule]
    root: Node | None  # None when no rule can be evaluated


_kinds: dict[int, tuple[VersionSchema, KindRules]] = {}


def kind_rules(version: VersionSchema, label: str, origin: str) -> KindRules:
    """The compiled rule tree of a CRD version (cached for as long as the run lasts)."""
    found = _kinds.get(id(version))
    if found is not None and found[0] is version:
        return found[1]
    rules = [_compile(entry) for entry in version.cel_rules]
    root: Node | None = None
    for rule in rules:
        if rule.program is None or rule.transition:
            continue
        steps = resolve(version.schema, rule.path)
        if steps is None:
            rule.error = f"the rule's path {rule.path} is not in the schema"
            continue
        root = root or Node(version.schema)
        _place(root, steps).rules.append(rule)
    if root is not None:
        _join(root)
    result = KindRules(label, origin, rules, root)
    _kinds[id(version)] = (version, result)
    return result


def _compile(entry: dict[str, str]) -> Rule:
    expression = entry.get("rule", "")
    rule = Rule(
        path=entry.get("path", "."),
        expression=expression,
        message=entry.get("message", ""),
        message_expression=entry.get("messageExpression", ""),
        field_path=entry.get("fieldPath", ""),
        reason=entry.get("reason", ""),
    )
    if not expression.strip():
        rule.error = "the rule is empty"
        return rule
    rule.transition = uses_old_self(expression) or entry.get("optionalOldSelf") == "true"
    rule.program, rule.error = compile_expression(expression)
    if rule.message_expression and rule.error is None:
        rule.message_program = compile_expression(rule.message_expression)[0]
    return rule


def resolve(schema: Schema, path: str) -> list[tuple[str, Schema]] | None:
    """The steps from the root schema to the node at `path` (".spec.rules[*].matches", ".x.*"):
    (property name, ITEMS or ADDITIONAL; the schema reached), or None if the schema has no such
    node. Property names may hold dots: the longest declared name that fits is taken."""
    steps: list[tuple[str, Schema]] = []
    node, rest = schema, path.lstrip(".")
    while rest:
        if rest.startswith(ITEMS):
            step, found, rest = ITEMS, node.get("items"), rest[len(ITEMS) :]
        elif (name := _property(node, rest)) is not None:
            step, found, rest = name, node["properties"][name], rest[len(name) :]
        elif rest == ADDITIONAL or rest.startswith((ADDITIONAL + ".", ADDITIONAL + "[")):
            step, found, rest = ADDITIONAL, node.get("additionalProperties"), rest[1:]
        else:
            return None
        if not isinstance(found, dict):
            return None
        node = found
        steps.append((step, node))
        rest = rest.removeprefix(".")
    return steps


def _property(node: Schema, rest: str) -> str | None:
    properties = node.get("properties")
    if not isinstance(properties, dict):
        return None
    fits = [
        name
        for name in properties
        if rest.startswith(name) and rest[len(name) : len(name) + 1] in ("", ".", "[")
    ]
    return max(fits, key=len) if fits else None


def _place(root: Node, steps: list[tuple[str, Schema]]) -> Node:
    node = root
    for step, schema in steps:
        if step == ITEMS:
            node.items = node.items or Node(schema)
            node = node.items
        elif step == ADDITIONAL:
            node.additional = node.additional or Node(schema)
            node = node.additional
        else:
            node = node.properties.setdefault(step, Node(schema))
    return node


def _join(node: Node) -> None:
    """Compile the rules of every node into one list-valued program: a CEL call costs ~5 µs
    whatever it does, so one call per node instead of one per rule is 3 times faster on a route.
    Where it does not compile (too deep, say) the rules run one by one."""
    if node.rules:
        node.together = compile_expression(
            "[" + ",\n".join(f"({rule.expression})" for rule in node.rules) + "]"
        )[0]
    for sub in (*node.properties.values(), node.items, node.additional):
        if sub is not None:
            _join(sub)


def _first_line(text: str) -> str:
    """cel-cpp's compile errors: `INVALID_ARGUMENT: ERROR: <input>:1:7: undeclared reference to
    'f' (in container '')` followed by the source and a caret; keep the first line, short."""
    line = text.strip().splitlines()[0] if text.strip() else "compile error"
    return line.removeprefix("INVALID_ARGUMENT: ").removeprefix("ERROR: ").replace("<input>:", "")
