"""The rule corpus: every `# expect: GBnnn` comment in a broken fixture is exactly one finding on
that line, and nothing else fires; the realistic good set triggers no rule at all."""

from __future__ import annotations

import pytest
from validate_rules_helpers import (
    FIXTURES,
    checked_prefixes,
    expected_in,
    fixture_facts,
    load_fixture,
    run_rules,
)

from gitops.validation.registry import all_rules

BAD = sorted(p.name for p in (FIXTURES / "bad").glob("*.yaml"))


def test_good_set_triggers_no_rule() -> None:
    _, manifests = load_fixture("good/guestbook.yaml")
    assert len(manifests) == 14
    assert run_rules(manifests) == []


def test_good_set_is_clean_without_digest_requirement_and_without_statement() -> None:
    _, manifests = load_fixture("good/guestbook.yaml")
    # without a statement, the two statement-only Secrets become "make sure it exists" warnings
    hits = run_rules(manifests, fixture_facts("# facts: secrets=none require_digest=false"))
    assert {h.rule for h in hits} == {"GB307"}
    assert {h.severity for h in hits} == {"warning"}


@pytest.mark.parametrize("name", BAD)
def test_bad_fixture_findings_match_expectations(name: str) -> None:
    text, manifests = load_fixture(f"bad/{name}")
    hits = run_rules(manifests, fixture_facts(text), checked_prefixes(text))
    found = sorted((h.rule, h.line) for h in hits)
    assert found == expected_in(text), "\n".join(
        f"{h.rule} line {h.line} {h.object}: {h.message}" for h in hits
    )
    for hit in hits:
        assert hit.message and hit.message[-1] not in ".;:", hit.message


def test_every_rule_fires_somewhere_in_the_corpus() -> None:
    fired: set[str] = set()
    for name in BAD:
        text, manifests = load_fixture(f"bad/{name}")
        fired |= {h.rule for h in run_rules(manifests, fixture_facts(text), checked_prefixes(text))}
    mine = {rid for rid in all_rules() if rid.startswith(("GB2", "GB3", "GB4"))}
    assert mine - fired == set()


def test_rules_are_documented() -> None:
    for rule_obj in all_rules().values():
        if rule_obj.id.startswith(("GB2", "GB3", "GB4")):
            assert rule_obj.summary and rule_obj.remediation and rule_obj.name
            assert rule_obj.scope in {"object", "pod", "environment"}
