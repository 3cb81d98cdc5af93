"""Container rules (`rules.containers`): what the API server refuses in a container."""

from __future__ import annotations


def test_env_var_names_follow_the_cluster_version(pod, run_rules, rule_facts) -> None:
    manifests = pod("      env:\n        - {name: my.setting:with-colon, value: x}")
    assert run_rules(manifests, rule_facts(kubernetes_version="1.34"), ["GB214"]) == []
    hits = run_rules(manifests, rule_facts(kubernetes_version="1.31"), ["GB214"])
    assert [(h.rule, h.line) for h in hits] == [("GB214", 11)]
    hits = run_rules(pod("      env:\n        - {name: A=B, value: x}"), rule_facts(), ["GB214"])
    assert [(h.rule, h.line) for h in hits] == [("GB214", 11)]
