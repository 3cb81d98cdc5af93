"""`self` as the API server builds it: escaped names, defaults, pruning, types and formats
(k8s.io/apiserver/pkg/cel/escaping.go, common/values.go; apiextensions defaulting)."""

from __future__ import annotations

import pytest

from gitops.validation.cel.escaping import escape
from gitops.validation.cel.values import Converter, child, go_duration_nanos, parse_time


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("name", "name"),
        ("namespace", "__namespace__"),
        ("if", "__if__"),
        ("x-forwarded-for", "x__dash__forwarded__dash__for"),
        ("app.kubernetes.io/name", "app__dot__kubernetes__dot__io__slash__name"),
        ("a__b", "a__underscores__b"),
        ("_private", "_private"),
        ("1st", None),
        ("with space", None),
        ("", None),
    ],
)
def test_escaping_as_kubernetes(name, escaped) -> None:
    assert escape(name) == escaped


SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "namespace": {"type": "string"},
                "mode": {"type": "string", "default": "fast"},
                "ratio": {"type": "number"},
                "count": {"type": "integer"},
                "note": {"type": "string", "nullable": True},
                "hint": {"type": "string"},
                "size": {"x-kubernetes-int-or-string": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "values": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "raw": {"x-kubernetes-preserve-unknown-fields": True},
                "data": {"type": "string", "format": "byte"},
                "items": {"type": "array", "items": {"type": "number"}},
            },
        }
    },
}


def test_an_object_as_cel_sees_it() -> None:
    raw = {
        "apiVersion": "example.com/v1",
        "kind": "Gadget",
        "metadata": {"name": "g", "namespace": "ns", "labels": {"a": "b"}},
        "spec": {
            "namespace": "ns",
            "ratio": 1,
            "count": 2,
            "note": None,
            "hint": None,
            "size": "10%",
            "labels": {"app.kubernetes.io/name": "web"},
            "values": {"replicaCount": 2},
            "raw": {"any": ["thing"]},
            "data": "aGk=",
            "items": [1, 2.5],
            "unknown": True,
        },
    }
    assert Converter().value(raw, SCHEMA, resource_root=True) == {
        "apiVersion": "example.com/v1",
        "kind": "Gadget",
        "metadata": {"name": "g"},  # only name and generateName are visible at the root
        "spec": {
            "__namespace__": "ns",
            "mode": "fast",  # defaulted
            "ratio": 1.0,
            "count": 2,
            "note": None,  # nullable: null stays null
            # hint: null and not nullable: dropped; unknown: pruned
            "size": "10%",
            "labels": {"app.kubernetes.io/name": "web"},  # map keys are data: not escaped
            "values": {},  # an object that only preserves unknown fields
            "raw": {"any": ["thing"]},
            "data": b"hi",
            "items": [1.0, 2.5],
        },
    }
    assert isinstance(Converter().value(raw, SCHEMA)["spec"]["ratio"], float)


def test_a_value_of_the_wrong_type_is_passed_as_written() -> None:
    assert Converter().value({"spec": "oops"}, SCHEMA) == {"spec": "oops"}


def test_a_node_converted_with_its_parent_is_reused() -> None:
    converter = Converter()
    spec = {"ratio": 1}
    whole = converter.value({"spec": spec}, SCHEMA)
    assert converter.value(spec, SCHEMA["properties"]["spec"]) is whole["spec"]


def test_defaults_apply_to_absent_fields_and_non_nullable_nulls() -> None:
    schema = {"type": "string", "default": "x"}
    assert child({}, "f", schema) == "x"
    assert child({"f": None}, "f", schema) == "x"
    assert child({"f": "y"}, "f", schema) == "y"
    assert child({"f": None}, "f", {**schema, "nullable": True}) is None
    assert child({}, "f", {"type": "string"}) is None


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("0", 0),
        ("1h30m", 5400 * 10**9),
        ("1.5s", 1_500_000_000),
        ("-300ms", -300_000_000),
        ("10us", 10_000),
        ("2d", None),
        ("", None),
        ("5", None),
    ],
)
def test_go_durations(text, nanos) -> None:
    assert go_duration_nanos(text) == nanos


def test_formats_that_cel_has_types_for() -> None:
    schema = {
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "day": {"type": "string", "format": "date"},
            "every": {"type": "string", "format": "duration"},
            "bad": {"type": "string", "format": "date-time"},
        },
    }
    raw = {"at": "2026-01-02T03:04:05Z", "day": "2026-01-02", "every": "90s", "bad": "soon"}
    out = Converter().value(raw, schema)
    assert out["at"].seconds == 1767323045
    assert out["day"].seconds == 1767312000
    assert out["every"].seconds == 90
    assert out["bad"] == "soon"  # unparseable: as written (a rule on it errs, never a finding)
    assert parse_time("2026-01-02T03:04:05+01:00", date_only=False).utcoffset().seconds == 3600
