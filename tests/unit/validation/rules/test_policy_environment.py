"""Environment-wide policy rules (`rules.policy_environment`)."""

from __future__ import annotations


def test_pdb_with_max_unavailable_zero_blocks_drains(rule_fixture, run_rules) -> None:
    manifests = rule_fixture("good/guestbook.yaml").manifests
    pdb = next(m for m in manifests if m.kind == "PodDisruptionBudget")
    pdb.obj["spec"] = {"maxUnavailable": 0, "selector": pdb.obj["spec"]["selector"]}
    hits = run_rules(manifests, only=["GB417"])
    assert [h.object for h in hits] == ["PodDisruptionBudget/guestbook/guestbook-web"]
    assert "HorizontalPodAutoscaler" not in hits[0].message and "2 replica(s)" in hits[0].message
