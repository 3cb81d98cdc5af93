"""Rules run where the API server runs them, and only a rule that is false is a finding."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitops.validation import cel
from gitops.validation.cel.evaluate import field_path_steps
from gitops.validation.engine import check_manifests, validate_paths
from gitops.validation.loader import load_text
from gitops.validation.model import Facts

UPSTREAM = Path(__file__).parents[3] / "fixtures" / "validate-cel" / "upstream"


def crd(rules: list[dict], properties: dict) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "things.example.com"},
            "spec": {
                "group": "example.com",
                "names": {"kind": "Thing", "plural": "things"},
                "scope": "Namespaced",
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
                                        "x-kubernetes-validations": rules,
                                        "properties": properties,
                                    }
                                },
                            }
                        },
                    }
                ],
            },
        }
    )


def findings(rules: list[dict], spec: dict, properties: dict | None = None) -> list[str]:
    thing = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}}
    text = crd(rules, properties or {"a": {"type": "integer"}, "b": {"type": "integer"}})
    text += "---\n" + yaml.safe_dump({**thing, "spec": spec})
    found = check_manifests(load_text(text, "t.yaml").manifests, Facts())
    return [f.message for f in found if f.rule == cel.RULE_ID]


@pytest.fixture(autouse=True)
def fresh_stats():
    cel.reset()
    yield
    cel.reset()


def test_message_expression_gives_the_message() -> None:
    rule = {"rule": "self.a <= self.b", "messageExpression": "'a (' + string(self.a) + ') > b'"}
    assert findings([rule], {"a": 2, "b": 1}) == ["spec: a (2) > b"]


@pytest.mark.parametrize(
    "message_expression",
    ["self.missing", "1 + 1", "''", "'two\\nlines'"],
)
def test_a_message_expression_that_fails_falls_back_to_the_message(message_expression) -> None:
    rule = {"rule": "false", "message": "the message.", "messageExpression": message_expression}
    assert findings([rule], {"a": 1}) == ["spec: the message"]


def test_without_a_message_the_rule_is_the_message() -> None:
    assert findings([{"rule": "self.a > 1"}], {"a": 1}) == ["spec: failed rule: self.a > 1"]


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("FieldValueForbidden", "spec.a: Forbidden: no a"),
        ("FieldValueRequired", "spec.a: Required value: no a"),
        ("FieldValueDuplicate", "spec.a: Duplicate value: no a"),
        ("FieldValueInvalid", "spec.a: no a"),
    ],
)
def test_reason_and_field_path(reason, shown) -> None:
    rule = {"rule": "!has(self.a)", "message": "no a", "reason": reason, "fieldPath": ".a"}
    assert findings([rule], {"a": 1}) == [shown]


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("", ()),
        (".a", ("a",)),
        (".a.b", ("a", "b")),
        (".labels['app.kubernetes.io/name']", ("labels", "app.kubernetes.io/name")),
        ("['it\\'s']", ("it's",)),
        ("a.b", ()),  # not a path the API server accepts: the node itself is named
    ],
)
def test_field_paths(text, steps) -> None:
    assert field_path_steps(text) == steps


def test_errors_are_counted_never_findings() -> None:
    rules = [
        {"rule": "self.b > 0", "message": "reads a field that is absent"},
        {"rule": "self.a / 0 == 1", "message": "divides by zero"},
        {"rule": "'text'", "message": "not a bool"},
        {"rule": "self.a > 5", "message": "a real failure"},
    ]
    assert findings(rules, {"a": 1}) == ["spec: a real failure"]
    errors = {key[3]: entry for key, entry in cel.STATS.unevaluated.items()}
    assert set(errors) == {"self.b > 0", "self.a / 0 == 1", "'text'"}
    assert "b" in errors["self.b > 0"].error
    assert errors["self.b > 0"].example.startswith("t.yaml:")
    assert errors["'text'"].error == "gave 'text', not a bool"
    assert (cel.STATS.evaluations, cel.STATS.failures) == (4, 1)


def test_a_node_of_the_wrong_type_is_not_evaluated() -> None:
    rule = {"rule": "self.size() < 2", "message": "short"}
    properties = {"a": {"type": "array", "items": {"type": "string"}, "x-kubernetes-validations":
                        [rule]}}  # fmt: skip
    assert findings([], {"a": "abc"}, properties) == []  # a string where a list goes: GB101
    (entry,) = cel.STATS.unevaluated.values()
    assert "not of type array" in entry.error
    assert findings([], {"a": ["x", "y"]}, properties) == ["spec.a: short"]


def test_an_absent_optional_field_runs_nothing_a_default_does() -> None:
    rule = {"rule": "self > 1", "message": "too small"}
    properties = {"a": {"type": "integer", "x-kubernetes-validations": [rule]}}
    assert findings([], {}, properties) == []
    assert cel.STATS.evaluations == 0
    properties["a"]["default"] = 1
    assert findings([], {}, properties) == ["spec.a: too small"]


def test_the_projects_own_examples_pass_every_rule(monkeypatch) -> None:
    monkeypatch.chdir(UPSTREAM)
    found = validate_paths([Path(".")], Facts())
    assert [f.format() for f in found if f.rule.startswith(("GB1", "GB105"))] == []
    assert cel.STATS.evaluations > 300
    assert cel.STATS.unevaluated == {}
    kinds = {label.split()[0] for label, _ in cel.STATS.kinds}
    assert {"HTTPRoute", "GRPCRoute", "Gateway", "HelmRelease"} <= kinds


def test_every_vendored_rule_compiles() -> None:
    from gitops.validation.cel.report import coverage, vendored_kinds

    kinds = vendored_kinds()
    total = coverage(kinds)
    assert total.rules > 800
    assert total.unevaluable == 0, [r.error for k in kinds for r in k.rules if r.error]
    assert total.evaluated + total.transition == total.rules
