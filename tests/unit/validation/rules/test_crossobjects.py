"""Rules across objects (`rules.crossobjects`)."""

from __future__ import annotations


def test_objects_without_namespace_land_in_the_environment_namespace(
    rule_fixture, run_rules, rule_facts, pod
) -> None:
    manifests = rule_fixture("good/guestbook.yaml").manifests
    for manifest in manifests:
        manifest.metadata.pop("namespace", None)
    assert run_rules(manifests, rule_facts(namespace="guestbook")) == []
    hits = run_rules(manifests + pod(""), only=["GB301"])
    assert hits == []
