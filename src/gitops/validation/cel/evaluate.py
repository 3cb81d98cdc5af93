"""Running a CRD's rules on one custom resource, as the API server does on create.

Semantics (k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/validation.go):
- a rule runs at the schema node that carries it, with `self` that node's value (`values`): for a
  node under `items` once per list element, under `additionalProperties` once per map value;
- it runs only where the node has a value: an absent optional field (with no `default`) or a null
  runs nothing; a `default` is applied first, as the API server defaults before it validates;
- transition rules (they read `oldSelf`) compare with the stored object, which a repository does
  not have: they are skipped (and counted, see `--cel-report`);
- false: a GB105 finding at the node (`fieldPath` appended when the rule gives one), with the
  `messageExpression`'s text, else the `message`, else "failed rule: <rule>"; `reason`
  (FieldValueForbidden/Required/Duplicate) words it as the API server does;
- an error (a missing field the rule reads, a type mismatch, an unsupported function) is never a
  finding: it is counted as "could not be evaluated" and listed by `--cel-report`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gitops.validation.cel.program import KindRules, Node, Rule, environment, error_type, kind_rules
from gitops.validation.cel.values import Converter, child
from gitops.validation.crds.extract import VersionSchema
from gitops.validation.model import FieldPath, Issue, Manifest
from gitops.validation.schema.messages import field_name

RULE_ID = "GB105"
MAX_MESSAGE_BYTES = 5 * 1024  # celconfig.MaxEvaluatedMessageExpressionSizeBytes
_REASONS = {
    "FieldValueForbidden": "Forbidden: ",
    "FieldValueRequired": "Required value: ",
    "FieldValueDuplicate": "Duplicate value: ",
}
_FIELD_STEP = re.compile(r"\.([^.\[\]]+)|\['((?:\\.|[^'\\])*)'\]")
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


@dataclass
class Unevaluated:
    """A rule that failed to evaluate on some objects: how often, the first error and where."""

    count: int = 0
    error: str = ""
    example: str = ""  # "path:line Kind/namespace/name"


@dataclass
class Stats:
    """What the CEL step did in this process, for `--cel-report` (reset by the command)."""

    objects: int = 0
    evaluations: int = 0
    failures: int = 0
    kinds: dict[tuple[str, str], KindRules] = field(default_factory=dict)
    unevaluated: dict[tuple[str, str, str, str], Unevaluated] = field(default_factory=dict)

    def clear(self) -> None:
        self.objects = self.evaluations = self.failures = 0
        self.kinds.clear()
        self.unevaluated.clear()

    def record(
        self, kind: KindRules, rule: Rule, manifest: Manifest, path: FieldPath, error: str
    ) -> None:
        entry = self.unevaluated.setdefault(
            (kind.label, kind.origin, rule.path, rule.expression), Unevaluated()
        )
        entry.count += 1
        if not entry.error:
            entry.error = error
            entry.example = f"{manifest.path}:{manifest.line_of(path)} {manifest.ref}"


STATS = Stats()
_EVERY_RULE = Rule(path=".", expression="(every rule of this CRD version)")


def reset() -> None:
    """Forget what earlier validations in this process evaluated."""
    STATS.clear()


def check(manifest: Manifest, version: VersionSchema, label: str, origin: str) -> list[Issue]:
    """The GB105 issues of one custom resource under the rules of its CRD version."""
    try:
        kind = kind_rules(version, label, origin)
    except Exception as exc:  # a malformed CRD in the set: its own schema check reports it
        broken = KindRules(label, origin, [], None)
        STATS.record(broken, _EVERY_RULE, manifest, (), _short(exc))
        return []
    STATS.kinds[(label, origin)] = kind
    if kind.root is None:
        return []
    STATS.objects += 1
    walk = _Walk(manifest, kind)
    try:
        walk.node(kind.root, manifest.obj, (), root=True)
    except Exception as exc:  # a bug of this module must never become a finding
        STATS.record(kind, _EVERY_RULE, manifest, (), _short(exc))
        return []
    return walk.issues


class _Walk:
    def __init__(self, manifest: Manifest, kind: KindRules) -> None:
        self.manifest = manifest
        self.kind = kind
        self.converter = Converter()
        self.issues: list[Issue] = []

    def node(self, node: Node, raw: Any, path: FieldPath, *, root: bool = False) -> None:
        if raw is None:
            return
        if node.rules:
            self.evaluate(node, raw, path, root=root)
        if node.properties and isinstance(raw, dict):
            for name, sub in node.properties.items():
                self.node(sub, child(raw, name, sub.schema), (*path, name))
        if node.items is not None and isinstance(raw, list):
            for index, item in enumerate(raw):
                self.node(node.items, item, (*path, index))
        if node.additional is not None and isinstance(raw, dict):
            for key, item in raw.items():
                self.node(node.additional, item, (*path, key))

    def evaluate(self, node: Node, raw: Any, path: FieldPath, *, root: bool) -> None:
        wrong = _wrong_type(raw, node.schema)
        try:
            if wrong:
                raise ValueError(wrong)
            data = {"self": self.converter.value(raw, node.schema, resource_root=root)}
            STATS.evaluations += len(node.rules)
            results = node.together.eval(data=data).plain_value() if node.together else None
        except Exception as exc:
            for rule in node.rules:
                STATS.record(self.kind, rule, self.manifest, path, _short(exc))
            return
        if isinstance(results, list) and len(results) == len(node.rules):
            if False not in results:
                return  # the common case: every rule holds
            for rule, value in zip(node.rules, results, strict=True):
                if value is False:
                    self.failed(rule, data, path)
                elif value is not True:
                    error = f"gave {value!r}, not a bool"
                    STATS.record(self.kind, rule, self.manifest, path, error)
            return
        self.one_by_one(node, data, path)  # some rule errs: find which, the others still count

    def one_by_one(self, node: Node, data: dict[str, Any], path: FieldPath) -> None:
        activation = environment().Activation(data=data)
        for rule in node.rules:
            try:
                result = rule.program.eval(activation)
                value = result.value()
            except Exception as exc:
                STATS.record(self.kind, rule, self.manifest, path, _short(exc))
                continue
            if value is False:
                self.failed(rule, data, path)
            elif value is not True:
                error = value if result.type() == error_type() else f"gave {value!r}, not a bool"
                STATS.record(self.kind, rule, self.manifest, path, str(error))

    def failed(self, rule: Rule, data: dict[str, Any], path: FieldPath) -> None:
        STATS.failures += 1
        where = (*path, *field_path_steps(rule.field_path))
        detail = _message(rule, data).rstrip(".;: ")
        text = f"{field_name(where) or 'the object'}: {_REASONS.get(rule.reason, '')}{detail}"
        self.issues.append(Issue(self.manifest, where, text))


def _message(rule: Rule, data: dict[str, Any]) -> str:
    """The messageExpression's text when it gives a usable one, else message, else the rule."""
    if rule.message_program is not None:
        try:
            result = rule.message_program.eval(data=data)
            text = result.value() if result.type() != error_type() else None
        except Exception:
            text = None
        if isinstance(text, str):
            text = text.strip()
            if text and "\n" not in text and len(text.encode()) <= MAX_MESSAGE_BYTES:
                return text
    return rule.message.strip() or f"failed rule: {rule.expression.strip()}"


def field_path_steps(text: str) -> FieldPath:
    """A rule's fieldPath (`.spec.replicas`, `.labels['app.kubernetes.io/name']`) as steps;
    () when it is empty or not a path the API server accepts (then the node itself is named)."""
    steps: list[str | int] = []
    position = 0
    while position < len(text):
        match = _FIELD_STEP.match(text, position)
        if match is None:
            return ()
        name, quoted = match.groups()
        steps.append(name if name is not None else re.sub(r"\\(.)", r"\1", quoted))
        position = match.end()
    return tuple(steps)


def _wrong_type(raw: Any, schema: dict[str, Any]) -> str:
    """Why `raw` cannot be `self` for `schema` (a schema error GB101 reports), or ""."""
    if schema.get("x-kubernetes-int-or-string"):
        ok = isinstance(raw, int | str) and not isinstance(raw, bool)
        return "" if ok else "the value is not an integer or a string (see GB101)"
    expected = _JSON_TYPES.get(str(schema.get("type")))
    if expected is None:
        return ""
    if isinstance(raw, expected) and (bool in expected or not isinstance(raw, bool)):
        return ""
    return f"the value is not of type {schema.get('type')} (see GB101)"


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
