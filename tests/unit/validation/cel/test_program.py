"""Compiling a CRD version's rules once: paths resolved in its schema, transition rules found."""

from __future__ import annotations

import pytest

from gitops.validation.cel.program import ADDITIONAL, ITEMS, kind_rules, resolve, uses_old_self
from gitops.validation.crds.extract import VersionSchema, kind_schemas, strip_annotations

SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "rules": {"type": "array", "items": {"type": "object", "properties": {}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "app.kubernetes.io": {"type": "string"},
                "app": {"type": "object", "properties": {"x": {"type": "string"}}},
            },
        }
    },
}


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        (".", []),
        (".spec", ["spec"]),
        (".spec.rules[*]", ["spec", "rules", ITEMS]),
        (".spec.labels.*", ["spec", "labels", ADDITIONAL]),
        (".spec.app.kubernetes.io", ["spec", "app.kubernetes.io"]),  # the longest name that fits
        (".spec.app.x", ["spec", "app", "x"]),
        (".spec.nothing", None),
        (".spec.rules.*", None),
    ],
)
def test_paths_resolve_in_the_schema(path, steps) -> None:
    found = resolve(SCHEMA, path)
    assert (None if found is None else [step for step, _ in found]) == steps


@pytest.mark.parametrize(
    ("expression", "transition"),
    [
        ("self == oldSelf", True),
        ("!has(oldSelf.x) || self.x == oldSelf.x", True),
        ("self.message != 'oldSelf'", False),
        ('self.oldSelfish == 1 || self.matches(r"""oldSelf""")', False),
        ("self.size() > 0", False),
    ],
)
def test_transition_rules_are_those_reading_old_self(expression, transition) -> None:
    assert uses_old_self(expression) is transition


def test_extract_keeps_message_expression_field_path_and_reason() -> None:
    rules: list[dict[str, str]] = []
    strip_annotations(
        {
            "type": "object",
            "x-kubernetes-validations": [
                {
                    "rule": "self.a <= self.b",
                    "messageExpression": "'a is ' + string(self.a)",
                    "fieldPath": ".a",
                    "reason": "FieldValueForbidden",
                    "optionalOldSelf": True,
                },
                {"rule": "true", "message": "plain"},
            ],
        },
        rules,
        ".",
    )
    assert rules == [
        {
            "path": ".",
            "rule": "self.a <= self.b",
            "message": "",
            "messageExpression": "'a is ' + string(self.a)",
            "fieldPath": ".a",
            "reason": "FieldValueForbidden",
            "optionalOldSelf": "true",
        },
        {"path": ".", "rule": "true", "message": "plain"},  # no extra keys: stored bytes unchanged
    ]


def test_a_crd_version_compiles_once_and_says_what_cannot_run() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "things.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Thing", "plural": "things"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "x-kubernetes-validations": [
                                        {"rule": "has(self.a)"},
                                        {"rule": "self == oldSelf"},
                                        {"rule": "isURL(self.a)"},
                                        {"rule": "self.a.size( > 1"},
                                        {"rule": " "},
                                    ],
                                    "properties": {"a": {"type": "string"}},
                                }
                            },
                        }
                    },
                }
            ],
        },
    }
    version: VersionSchema = kind_schemas(crd).versions[0]
    compiled = kind_rules(version, "Thing example.com/v1", "test")
    assert compiled is kind_rules(version, "Thing example.com/v1", "test")
    evaluated = [rule.expression for rule in compiled.rules if rule.evaluated]
    assert evaluated == ["has(self.a)"]
    transition = [rule.expression for rule in compiled.rules if rule.transition]
    assert transition == ["self == oldSelf"]
    errors = {rule.expression: rule.error for rule in compiled.rules if rule.error}
    assert set(errors) == {"isURL(self.a)", "self.a.size( > 1", " "}
    assert "undeclared reference to 'isURL'" in errors["isURL(self.a)"]
    assert compiled.root is not None
    assert [rule.expression for rule in compiled.root.properties["spec"].rules] == evaluated
