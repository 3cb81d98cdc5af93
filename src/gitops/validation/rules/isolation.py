"""The project's policy for network isolation: every pod is selected by a NetworkPolicy.

A pod that no NetworkPolicy selects for ingress accepts connections from every pod of the
cluster (and whatever reaches the nodes): one compromised pod anywhere can reach it. A pod is
isolated for ingress when a NetworkPolicy of its namespace selects it (`spec.podSelector`; `{}`
selects every pod, as a namespace-wide default-deny does) and has Ingress among its policyTypes
(when policyTypes is not set, the API server makes it Ingress, plus Egress when the policy has
egress rules). Pods on the host network are left out: no NetworkPolicy applies to them (GB405
reports hostNetwork).

Severity: an error in a complete environment (its manifests are everything the cluster receives,
so nothing else will isolate the pod), a warning for a plain set of files, where a NetworkPolicy
may be applied from elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, Issue, Manifest
from gitops.validation.registry import rule
from gitops.validation.rules._index import index_of
from gitops.validation.rules._util import as_dict, as_list, describe_labels, selector_matches

NETWORKING_GROUP = "networking.k8s.io"


def policy_types(policy: Manifest) -> list[str]:
    """The policyTypes of a NetworkPolicy, defaulted as the API server does."""
    spec = as_dict(policy.obj.get("spec"))
    types = as_list(spec.get("policyTypes"))
    if types:
        return [str(t) for t in types]
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def _selectors(ctx: Context) -> dict[str, list[tuple[dict[str, Any], bool]]]:
    """Namespace -> (podSelector, isolates for ingress) of its NetworkPolicies."""
    index = index_of(ctx)
    found: dict[str, list[tuple[dict[str, Any], bool]]] = {}
    for policy in index.of_kind("NetworkPolicy"):
        selector = policy.get(("spec", "podSelector"))
        if policy.group == NETWORKING_GROUP and isinstance(selector, dict):
            ingress = "Ingress" in policy_types(policy)
            found.setdefault(index.ns(policy), []).append((selector, ingress))
    return found


@rule(
    "GB425",
    "pod-not-isolated",
    severity="error",
    scope="environment",
    summary="No NetworkPolicy selects a workload's pods for ingress, so every pod of the cluster "
    "can connect to them (a warning for plain files).",
    remediation="Add a NetworkPolicy that selects the pods (a namespace-wide default-deny with "
    "podSelector: {} and the allow rules they need).",
)
def check_pod_isolated(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    selectors = _selectors(ctx)
    for ns, view in index.pods:
        if view.spec.get("hostNetwork") is True:
            continue
        matching = [
            ingress for s, ingress in selectors.get(ns, ()) if selector_matches(s, view.labels)
        ]
        if any(matching):
            continue
        labels = describe_labels(view.labels)
        if matching:
            what = (
                f"the NetworkPolicies that select these pods (labels: {labels}) are for Egress "
                "only, so any pod of the cluster can connect to them; add Ingress to the "
                "policyTypes of one (with the ingress rules they need)"
            )
        else:
            what = (
                f"no NetworkPolicy of namespace {ns} selects these pods (labels: {labels}), so "
                "any pod of the cluster can connect to them; add a NetworkPolicy that selects "
                "them (e.g. a default-deny with podSelector: {} and policies that allow what they "
                "need)"
            )
        path = view.path[:-1] if view.manifest.kind != "Pod" else ()
        yield Issue(
            view.manifest,
            (*path, "metadata", "labels"),
            what,
            severity=None if ctx.facts.complete else "warning",
        )
