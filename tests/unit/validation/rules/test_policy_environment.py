"""Environment-wide policy rules (`rules.policy_environment`)."""

from __future__ import annotations

import pytest


def test_pdb_with_max_unavailable_zero_blocks_drains(rule_fixture, run_rules) -> None:
    """More replicas cannot help a PDB that allows 0 unavailable pods: the advice says what does."""
    manifests = rule_fixture("good/guestbook.yaml").manifests
    pdb = next(m for m in manifests if m.kind == "PodDisruptionBudget")
    pdb.obj["spec"] = {"maxUnavailable": 0, "selector": pdb.obj["spec"]["selector"]}
    hits = run_rules(manifests, only=["GB417"])
    assert [h.object for h in hits] == ["PodDisruptionBudget/guestbook/guestbook-web"]
    message = hits[0].message
    assert "however many replicas run" in message and "node drain" in message
    assert "maxUnavailable: 1" in message and "minAvailable below the replica count" in message
    assert "run at least" not in message


def test_max_unavailable_zero_is_reported_whatever_it_selects(load_manifests, run_rules) -> None:
    """The value alone blocks every eviction, so a PDB whose pods are not in the set (plain
    files) is reported too, once."""
    pdb = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: db, namespace: guestbook}
spec:
  maxUnavailable: 0%
  selector: {matchLabels: {app: elsewhere}}
"""
    hits = run_rules(load_manifests(pdb), only=["GB417"])
    assert [(h.rule, h.line) for h in hits] == [("GB417", 5)]


@pytest.mark.parametrize(
    ("min_available", "replicas", "advice"),
    [
        (1, 1, "run at least 2 replicas"),
        (2, 2, "run at least 3 replicas"),
        ("100%", 5, "lower minAvailable below 100%"),
        ("90%", 3, "run at least 10 replicas"),  # rounded up: 90% of 3 pods is 3
        ("50%", 1, "run at least 2 replicas"),
        (1, 2, None),
        ("50%", 3, None),
    ],
)
def test_min_available_blocks_when_it_leaves_no_pod_to_evict(
    load_manifests, run_rules, min_available, replicas, advice
) -> None:
    manifests = load_manifests(f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: guestbook}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: "x:1"}}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: web, namespace: guestbook}}
spec:
  minAvailable: {min_available}
  selector: {{matchLabels: {{app: web}}}}
""")
    hits = run_rules(manifests, only=["GB417"])
    if advice is None:
        assert hits == []
    else:
        assert len(hits) == 1 and advice in hits[0].message, hits
