"""Reference rules (`rules.references`): what a pod refers to must exist, or be provided."""

from __future__ import annotations


def test_unprovided_secret_is_a_warning_in_a_plain_set_and_an_error_in_a_complete_one(
    pod, run_rules, rule_facts
) -> None:
    manifests = pod(
        "      envFrom:\n        - secretRef: {name: api-token}\n"
        "        - secretRef: {name: maybe, optional: true}"
    )
    hits = run_rules(manifests, rule_facts(complete=False), ["GB307"])
    assert [(h.line, h.severity) for h in hits] == [(11, "warning")]
    assert "not among the given files" in hits[0].message
    hits = run_rules(manifests, rule_facts(), ["GB307"])
    assert [(h.line, h.severity) for h in hits] == [(11, "error")]
    assert "not provided in git for environment test" in hits[0].message


def test_default_service_account_needs_no_object(pod, run_rules) -> None:
    manifests = pod("  serviceAccountName: default")
    assert run_rules(manifests, only=["GB308"]) == []


def test_statefulset_claim_templates_are_mountable_and_not_missing_pvcs(
    rule_fixture, run_rules
) -> None:
    manifests = rule_fixture("good/guestbook.yaml").manifests
    statefulset = [m for m in manifests if m.kind == "StatefulSet"]
    assert run_rules(statefulset, only=["GB215", "GB309"]) == []
