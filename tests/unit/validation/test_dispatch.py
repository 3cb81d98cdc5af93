"""Feeding the rules (`gitops.validation.dispatch`): each scope gets what it declares, and a rule
that raises becomes an error finding of that rule, or, when asked, lets its exception through."""

from __future__ import annotations

import pytest

from gitops.validation.dispatch import run_rules
from gitops.validation.loader import load_text
from gitops.validation.model import Facts, Issue
from gitops.validation.registry import Rule

OBJECTS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: [{name: web, image: "x:1"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
"""


def rule(check, scope: str = "object", kinds=None) -> dict[str, Rule]:
    return {
        "GB999": Rule(
            id="GB999",
            name="test-rule",
            severity="warning",
            scope=scope,  # type: ignore[arg-type]
            summary="a rule of the tests",
            remediation="none",
            kinds=frozenset(kinds) if kinds else None,
            check=check,
        )
    }


def issues(rules: dict[str, Rule], **options: bool) -> list[tuple[str, str]]:
    manifests = load_text(OBJECTS).manifests
    return [
        (issue.manifest.ref if issue.manifest else "", issue.message)
        for _, issue in run_rules(manifests, Facts(), rules, **options)
    ]


def test_each_scope_gets_what_it_declares() -> None:
    def per_object(manifest, ctx):
        yield Issue(manifest, (), "object")

    def per_pod(view, ctx):
        yield Issue(view.manifest, view.path, f"pod at {'.'.join(view.path)}")

    def once(ctx):
        yield Issue(None, (), f"{len(ctx.manifests)} objects")

    assert issues(rule(per_object, kinds=["ConfigMap"])) == [
        ("ConfigMap/a", "object"),
        ("ConfigMap/b", "object"),
    ]
    assert issues(rule(per_pod, scope="pod")) == [("Deployment/web", "pod at spec.template.spec")]
    assert issues(rule(once, scope="environment")) == [("", "3 objects")]
    assert issues(rule(once, scope="engine")) == []


def test_a_crash_is_an_error_of_that_rule_on_that_object_and_the_run_goes_on() -> None:
    def check(manifest, ctx):
        if manifest.name == "a":
            raise KeyError("boom")
        yield Issue(manifest, (), "fine")

    found = issues(rule(check))
    assert found[1:] == [("Deployment/web", "fine"), ("ConfigMap/b", "fine")]
    (where, message) = found[0]
    assert where == "ConfigMap/a"
    assert message.startswith("rule GB999 (test-rule) failed on this object: KeyError: 'boom'")
    assert message.endswith("this is a bug in the validator, please report it")


def test_without_crash_as_finding_the_exception_goes_through() -> None:
    def check(ctx):
        if ctx.manifests:
            raise KeyError("boom")
        yield Issue(None, (), "no objects")

    assert issues(rule(check, scope="environment"))[0][0] == ""
    with pytest.raises(KeyError, match="boom"):
        issues(rule(check, scope="environment"), crash_as_finding=False)
