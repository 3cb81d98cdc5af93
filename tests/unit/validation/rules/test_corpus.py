"""The rule corpus: every `# expect: GBnnn` comment in a broken fixture is exactly one finding on
that line, and nothing else fires; the realistic good sets trigger no rule at all, as a complete
environment or as plain files, and are valid for the schema step (with the vendored CRDs)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gitops.validation.engine import validate_paths
from gitops.validation.model import Facts
from gitops.validation.registry import all_rules

BAD = sorted(
    p.name for p in (Path(__file__).parents[3] / "fixtures/validate-rules/bad").glob("*.yaml")
)


GOOD = sorted(
    p.name for p in (Path(__file__).parents[3] / "fixtures/validate-rules/good").glob("*.yaml")
)


def test_good_set_triggers_no_rule(rule_fixture, run_rules) -> None:
    manifests = rule_fixture("good/guestbook.yaml").manifests
    assert len(manifests) == 17
    assert run_rules(manifests) == []


@pytest.mark.parametrize("name", GOOD)
def test_good_sets_trigger_no_rule_complete_or_not(name: str, rule_fixture, run_rules) -> None:
    fixture = rule_fixture(f"good/{name}")
    assert run_rules(fixture.manifests, fixture.facts) == []
    plain = replace(fixture.facts, complete=False, require_digest=False)
    assert run_rules(fixture.manifests, plain) == []


@pytest.mark.parametrize("name", GOOD)
def test_the_good_sets_are_schema_valid(name: str, fixtures_dir: Path) -> None:
    facts = Facts(kubernetes_version="1.34")  # the CRDs of their custom resources are vendored
    findings = validate_paths([fixtures_dir / "validate-rules/good" / name], facts)
    assert [f.format() for f in findings if f.rule.startswith(("GB0", "GB1"))] == []


@pytest.mark.parametrize("name", BAD)
def test_bad_fixture_findings_match_expectations(name: str, rule_fixture, run_rules) -> None:
    fixture = rule_fixture(f"bad/{name}")
    hits = run_rules(fixture.manifests, fixture.facts, fixture.prefixes)
    found = sorted((h.rule, h.line) for h in hits)
    assert found == fixture.expected, "\n".join(
        f"{h.rule} line {h.line} {h.object}: {h.message}" for h in hits
    )
    for hit in hits:
        assert hit.message and hit.message[-1] not in ".;:", hit.message


def test_every_rule_fires_somewhere_in_the_corpus(rule_fixture, run_rules) -> None:
    fired: set[str] = set()
    for name in BAD:
        fixture = rule_fixture(f"bad/{name}")
        fired |= {h.rule for h in run_rules(fixture.manifests, fixture.facts, fixture.prefixes)}
    mine = {rid for rid in all_rules() if rid.startswith(("GB2", "GB3", "GB4"))}
    assert mine - fired == set()


def test_rules_are_documented() -> None:
    for rule_obj in all_rules().values():
        if rule_obj.id.startswith(("GB2", "GB3", "GB4")):
            assert rule_obj.summary and rule_obj.remediation and rule_obj.name
            assert rule_obj.scope in {"object", "pod", "environment"}
