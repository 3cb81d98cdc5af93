"""Network isolation (GB425, `rules.isolation`) beyond the corpus: its severity depends on whether
the set is complete, and a namespace-wide policy isolates every pod of its namespace only."""

from __future__ import annotations

from gitops.validation.rules.isolation import policy_types

DEFAULT_DENY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: guestbook}
spec:
  podSelector: {}
"""


def test_an_error_in_a_complete_environment_a_warning_in_plain_files(
    pod, run_rules, rule_facts
) -> None:
    manifests = pod("")
    complete = run_rules(manifests, only=["GB425"])
    plain = run_rules(manifests, rule_facts(complete=False), only=["GB425"])
    assert [(h.severity, h.object) for h in complete] == [("error", "Pod/guestbook/p")]
    assert [h.severity for h in plain] == ["warning"]
    assert "add a NetworkPolicy" in complete[0].message


def test_a_default_deny_isolates_every_pod_of_its_namespace(pod, load_manifests, run_rules) -> None:
    policy = load_manifests(DEFAULT_DENY)
    assert run_rules(pod("") + policy, only=["GB425"]) == []
    policy[0].obj["metadata"]["namespace"] = "elsewhere"
    assert len(run_rules(pod("") + policy, only=["GB425"])) == 1


def test_policy_types_are_defaulted_as_the_api_server_does(load_manifests) -> None:
    policy = load_manifests(DEFAULT_DENY)[0]
    assert policy_types(policy) == ["Ingress"]
    policy.obj["spec"]["egress"] = [{}]
    assert policy_types(policy) == ["Ingress", "Egress"]
    policy.obj["spec"]["policyTypes"] = ["Egress"]
    assert policy_types(policy) == ["Egress"]
