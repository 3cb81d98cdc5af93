"""The rule corpus: every `# expect: GBnnn` comment in a broken fixture is exactly one finding on
that line, and nothing else fires; the realistic good set triggers no rule at all and is valid
for the schema step apart from its third-party custom resource."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.validation.engine import validate_paths
from gitops.validation.model import Facts
from gitops.validation.registry import all_rules

BAD = sorted(
    p.name for p in (Path(__file__).parents[3] / "fixtures/validate-rules/bad").glob("*.yaml")
)


def test_good_set_triggers_no_rule(rule_fixture, run_rules) -> None:
    manifests = rule_fixture("good/guestbook.yaml").manifests
    assert len(manifests) == 14
    assert run_rules(manifests) == []


def test_good_set_is_clean_without_digest_requirement_and_without_statement(
    rule_fixture, run_rules, rule_facts
) -> None:
    manifests = rule_fixture("good/guestbook.yaml").manifests
    # without a statement, the two statement-only Secrets become "make sure it exists" warnings
    hits = run_rules(manifests, rule_facts(secrets=None, require_digest=False))
    assert {h.rule for h in hits} == {"GB307"}
    assert {h.severity for h in hits} == {"warning"}


def test_the_good_set_is_schema_valid(fixtures_dir: Path) -> None:
    facts = Facts(
        kubernetes_version="1.34", custom_resources=("bitnami.com/v1alpha1/SealedSecret",)
    )
    findings = validate_paths([fixtures_dir / "validate-rules/good/guestbook.yaml"], facts)
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
