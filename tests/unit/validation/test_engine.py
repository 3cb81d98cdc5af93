"""The engine's own behaviour: feeding rules by scope and kind, suppressions, sorting, a rule that
crashes, how PATH mode shows paths, and objects broken at random."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest

from gitops.validation import registry
from gitops.validation.engine import FactsSource, check_manifests, validate_paths
from gitops.validation.loader import load_text
from gitops.validation.model import Facts, Finding, Issue, Manifest

TWO_CONFIGMAPS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  namespace: ns
  annotations:
    ignore-check.gitops/GB999: "documented"
data: {}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
  namespace: ns
data: {}
"""


@pytest.fixture
def temporary_rule(monkeypatch: pytest.MonkeyPatch):
    """Register rule GB999 for one test (the registry is a module-level dict)."""

    def install(check, scope: str = "object", kinds=None) -> None:
        rule = registry.Rule(
            id="GB999",
            name="test-rule",
            severity="warning",
            scope=scope,  # type: ignore[arg-type]
            summary="a rule of the tests",
            remediation="none",
            kinds=frozenset(kinds) if kinds else None,
            check=check,
        )
        monkeypatch.setitem(registry.RULES, "GB999", rule)

    return install


def only(findings: list[Finding], rule: str) -> list[tuple[str, int, str]]:
    return [(f.object, f.line, f.message) for f in findings if f.rule == rule]


def test_object_rules_get_only_their_kinds_and_suppressions_apply_per_object(
    temporary_rule,
) -> None:
    seen = []

    def check(manifest, ctx):
        seen.append(manifest.name)
        yield Issue(manifest, ("data",), f"looked at {manifest.name}")

    temporary_rule(check, kinds=["ConfigMap"])
    manifests = load_text(
        TWO_CONFIGMAPS + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
    )
    findings = check_manifests(manifests.manifests, Facts())
    assert seen == ["a", "b"]
    assert only(findings, "GB999") == [("ConfigMap/ns/b", 15, "looked at b")]  # a: suppressed


def test_a_rule_that_crashes_becomes_a_finding_and_the_others_still_run(temporary_rule) -> None:
    def check(manifest, ctx):
        if manifest.name == "b":
            raise KeyError("boom")
        yield Issue(manifest, (), "fine")

    temporary_rule(check)
    text = TWO_CONFIGMAPS.replace("GB999", "GB407")
    findings = check_manifests(load_text(text).manifests, Facts())
    crash = [f for f in findings if f.rule == "GB999" and "failed" in f.message]
    assert [(f.severity, f.object, f.line) for f in crash] == [("error", "ConfigMap/ns/b", 10)]
    assert "KeyError" in crash[0].message and "bug in the validator" in crash[0].message
    assert ("ConfigMap/ns/a", 1, "fine") in only(findings, "GB999")


def test_environment_issue_without_object_points_at_the_facts(temporary_rule) -> None:
    def check(ctx):
        yield Issue(None, ("requiredKinds",), "about the facts")

    temporary_rule(check, scope="environment")
    source = FactsSource("apps/x/environment.yaml", {("requiredKinds",): 7}, "environment/x")
    findings = check_manifests(load_text(TWO_CONFIGMAPS).manifests, Facts(), source)
    assert [(f.path, f.line, f.object) for f in findings if f.rule == "GB999"] == [
        ("apps/x/environment.yaml", 7, "environment/x")
    ]


def test_suppressing_the_suppression_rule_is_refused() -> None:
    text = TWO_CONFIGMAPS.replace("GB999", "GB004")
    findings = check_manifests(load_text(text).manifests, Facts())
    assert [(f.rule, f.line) for f in findings] == [("GB004", 7)]


def test_findings_are_sorted_and_unique(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    broken = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  a: 1\n  b: 2\n"
    (tmp_path / "b.yaml").write_text(broken)
    (tmp_path / "a.yaml").write_text(broken)
    findings = validate_paths([Path("b.yaml"), Path("a.yaml"), Path("b.yaml")], Facts())
    keys = [(f.path, f.line, f.rule) for f in findings]
    assert keys == sorted(keys)
    assert len(set(findings)) == len(findings)
    assert [f.path for f in findings if f.rule == "GB101"] == ["a.yaml"] * 2 + ["b.yaml"] * 2


def test_paths_outside_the_working_directory_are_shown_absolute(
    tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / "inside").mkdir()
    monkeypatch.chdir(tmp_path / "inside")
    outside = tmp_path / "outside.yaml"
    outside.write_text("- not an object\n")
    (finding,) = validate_paths([outside], Facts())
    assert finding.path == outside.as_posix()


JUNK: list[object] = [None, "x", 7, [], {}, [1, "a"], {"a": None}, True, 1.5, {"versions": "v1"}]


def _mutate(node: object, rng: random.Random) -> None:
    keys = (
        list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else []
    )
    for key in keys:
        roll = rng.random()
        if roll < 0.08:
            node[key] = rng.choice(JUNK)  # type: ignore[index]
        elif roll < 0.1 and isinstance(node, dict):
            del node[key]
        else:
            _mutate(node[key], rng)  # type: ignore[index]


def test_schema_step_and_rules_survive_randomly_broken_objects(fixtures_dir: Path) -> None:
    rng = random.Random(20261125)
    corpus = fixtures_dir / "validate-corpus"
    bases = [load_text(p.read_text(), p.name).manifests for p in sorted(corpus.glob("*.yaml"))]
    for trial in range(150):
        manifests = []
        for m in bases[trial % len(bases)]:
            obj = copy.deepcopy(m.obj)
            _mutate(obj, rng)
            obj["apiVersion"], obj["kind"] = m.api_version, m.kind
            manifests.append(Manifest(m.path, m.index, obj, m.line, m.lines))
        for finding in check_manifests(manifests, Facts()):
            assert "bug in the validator" not in finding.message, finding.format()
            assert "cannot be checked" not in finding.message, finding.format()
