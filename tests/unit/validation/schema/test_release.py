"""The schemas of a Kubernetes release (`schema.release`): read once per version, a validator
compiled once per kind, and the pure-Python fallback when jsonschema-rs refuses a schema."""

from __future__ import annotations

import pytest

from gitops.errors import ConfigError
from gitops.validation.schema import release as schema


def test_unsupported_kubernetes_version_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match=r"no schemas for Kubernetes 1\.99"):
        schema.release_for("1.99")


def test_each_release_is_read_once_and_each_validator_compiled_once() -> None:
    release = schema.release_for("1.33")
    assert schema.release_for("1.33") is release
    checker = release.checker("apps/v1", "Deployment")
    assert checker is not None
    assert release.checker("apps/v1", "Deployment") is checker
    assert release.checker("apps.example.com/v1", "Deployment") is None  # not deployment-apps-v1


def test_python_jsonschema_fallback_reports_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise ValueError("unsupported regular expression")

    monkeypatch.setattr(schema.jsonschema_rs, "Draft202012Validator", refuse)
    release = schema.Release("1.33")  # a fresh one: nothing cached
    checker = release.custom_checker({"type": "object", "properties": {"spec": {
        "type": "object", "additionalProperties": False, "required": ["size"],
        "properties": {"size": {"type": "integer"}}}}})  # fmt: skip
    problems = checker.problems({"metadata": {"name": "x"}, "spec": {"siz": 1}})
    assert sorted((p.keyword, p.path) for p in problems) == [
        ("additionalProperties", ("spec",)),
        ("required", ("spec",)),
    ]
    by_keyword = {p.keyword: p for p in problems}
    assert by_keyword["additionalProperties"].details["unexpected"] == ["siz"]
    assert by_keyword["required"].details["property"] == "size"
