"""The name, label and selector checks the rules share (`rules._util`), with inputs taken from
Kubernetes' own validation."""

from __future__ import annotations

import pytest

from gitops.validation.rules._util import (
    label_value_problem,
    port_name_problem,
    qualified_name_problem,
    selector_matches,
)


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("app", True),
        ("app.kubernetes.io/name", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("example.com/", False),
        ("/name", False),
        ("Example.com/x", False),
        ("x/y/z", False),
        ("under_score-dot.9", True),
        ("-lead", False),
    ],
)
def test_label_keys(key: str, ok: bool) -> None:
    assert (qualified_name_problem(key) is None) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("", True),
        ("v1.2_3-x", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("-x", False),
        ("x y", False),
        (12, False),
        (True, False),
    ],
)
def test_label_values(value: object, ok: bool) -> None:
    assert (label_value_problem(value) is None) is ok


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("http", True),
        ("h2c", True),
        ("web-metrics", True),
        ("a" * 15, True),
        ("a" * 16, False),
        ("8080", False),
        ("my_port", False),
        ("a--b", False),
        ("-a", False),
        ("HTTP", False),
    ],
)
def test_port_names(name: str, ok: bool) -> None:
    assert (port_name_problem(name) is None) is ok


def test_selector_semantics() -> None:
    labels = {"app": "web", "tier": "front"}
    assert selector_matches({}, labels)
    assert selector_matches({"matchLabels": {"app": "web"}}, labels)
    assert not selector_matches({"matchLabels": {"app": "api"}}, labels)
    expr = {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["back"]}]}
    assert selector_matches(expr, labels)
    expr = {"matchExpressions": [{"key": "canary", "operator": "DoesNotExist"}]}
    assert selector_matches(expr, labels)
    expr = {"matchExpressions": [{"key": "canary", "operator": "Exists"}]}
    assert not selector_matches(expr, labels)
