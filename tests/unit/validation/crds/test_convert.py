"""A CRD found in the validated set becomes a strict JSON Schema (tests/fixtures/validate-crds)."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from gitops.validation import crds


def widget(**spec) -> dict:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 1, **spec},
    }


@pytest.fixture
def messages(widget_crd: dict):
    """messages(obj): what the schema made of the CRD's v1 says about `obj`."""

    def validate(obj: dict) -> list[str]:
        schema = crds.schema_from_crd(widget_crd, "v1")
        assert schema is not None
        return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(obj)]

    return validate


@pytest.mark.parametrize(
    "spec",
    [
        {"size": 3},
        {"size": "50%"},
        {"mode": None},
        {"mode": "fast"},
        {"replicas": 2, "timeout": "not-a-duration-but-format-is-not-checked"},
        {"values": {"any": {"thing": [1, "two"]}}},
        {"labels": {"a": "b"}},
        {"template": {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}},
        {"description": "kept: a property named description"},
    ],
)
def test_valid_widgets_are_accepted(spec, messages):
    assert messages(widget(**spec)) == []


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"size": 1.5}, "is not valid under any of the given schemas"),
        ({"mode": "medium"}, "'medium' is not one of"),
        ({"replicas": -1}, "-1 is less than the minimum of 0"),
        ({"colour": "red"}, "'colour' was unexpected"),
        ({"labels": {"a": 1}}, "1 is not of type 'string'"),
    ],
)
def test_invalid_widgets_are_rejected(spec, expected, messages):
    found = messages(widget(**spec))
    assert any(expected in m for m in found), found


def test_required_and_top_level_strictness(messages):
    obj = widget()
    del obj["spec"]["size"]
    obj["stauts"] = {}
    found = messages(obj)
    assert any("'size' is a required property" in m for m in found)
    assert any("'stauts' was unexpected" in m for m in found)


def test_unserved_or_missing_versions_and_non_crds_give_none(widget_crd):
    assert crds.schema_from_crd(widget_crd, "v1beta1") is None
    assert crds.schema_from_crd(widget_crd, "v2") is None
    assert crds.schema_from_crd({"kind": "ConfigMap"}, "v1") is None


def test_crd_kinds_and_cached_schema(widget_crd):
    assert crds.crd_kinds(widget_crd) == [("example.com/v1", "Widget")]
    assert crds.schema_from_crd(widget_crd, "v1") is crds.schema_from_crd(
        yaml.safe_load(yaml.safe_dump(widget_crd)), "v1"
    )


DEFAULTED = crds.convert.to_json_schema(
    {
        "type": "object",
        "required": ["mode"],
        "properties": {
            "mode": {"type": "string", "default": "fast"},
            "note": {"type": "string", "nullable": True, "default": "n"},
            "limits": {
                "type": "object",
                "properties": {"cpu": {"type": "string", "default": "1"}},
            },
            "ports": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"protocol": {"type": "string", "default": "TCP"}},
                },
            },
            "byName": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"weight": {"type": "integer", "default": 1}},
                },
            },
        },
    }
)


def test_defaults_are_filled_where_the_api_server_fills_them():
    obj = {"limits": {}, "ports": [{}, {"protocol": "UDP"}], "byName": {"a": {}}, "note": None}
    filled = crds.with_defaults(DEFAULTED, obj)
    assert filled == {
        "mode": "fast",  # missing: defaulted
        "note": None,  # null where null is allowed: kept
        "limits": {"cpu": "1"},  # below a field that is present
        "ports": [{"protocol": "TCP"}, {"protocol": "UDP"}],  # in list items, never over a value
        "byName": {"a": {"weight": 1}},  # in map values
    }
    assert obj == {
        "limits": {},
        "ports": [{}, {"protocol": "UDP"}],
        "byName": {"a": {}},
        "note": None,
    }
    assert "limits" not in crds.with_defaults(DEFAULTED, {})  # a missing parent stays missing


def test_a_null_the_schema_does_not_allow_is_defaulted_and_nothing_else_is_copied():
    assert crds.with_defaults(DEFAULTED, {"mode": None})["mode"] == "fast"
    written = {"mode": "slow", "note": "x", "ports": [{"protocol": "UDP"}]}
    assert crds.with_defaults(DEFAULTED, written) is written  # nothing to fill: the same object
    assert jsonschema.Draft202012Validator(DEFAULTED).is_valid(crds.with_defaults(DEFAULTED, {}))
