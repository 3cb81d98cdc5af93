"""Across one environment: duplicate objects, and selectors that select no pod.

The pods are the pod templates of the set's workloads and the pods that known operators make from
custom resources of the set (`_operators`: prometheus-operator, CloudNativePG). In a set not
declared complete a selector that matches none of them is a warning: its pods may be defined in
files that were not given (`_partial`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, Manifest, PodView
from gitops.validation.registry import rule
from gitops.validation.rules._index import index_of
from gitops.validation.rules._partial import NOT_GIVEN, absent
from gitops.validation.rules._util import (
    as_dict,
    describe_labels,
    describe_selector,
    items_of,
)


@rule(
    "GB301",
    "duplicate-object",
    severity="error",
    scope="environment",
    summary="Two documents define the same object (API group, kind, namespace, name).",
    remediation="Keep one definition; the later one would silently overwrite the first.",
)
def check_duplicates(ctx: Context) -> Iterator[Issue]:
    for (_, kind, ns, name), manifests in index_of(ctx).identities.items():
        if not name:
            continue
        first = manifests[0]
        for other in manifests[1:]:
            where = f"{ns}/" if ns else ""
            yield Issue(
                other,
                ("metadata", "name"),
                f"{kind} {where}{name} is already defined at {first.path}:{first.line}; remove "
                "one of the two (the last one applied wins)",
            )


def _workloads(views: list[PodView]) -> str:
    return ", ".join(sorted({view.manifest.ref for view in views})[:3])


@rule(
    "GB302",
    "service-selects-nothing",
    severity="error",
    scope="environment",
    summary="A Service's selector matches no pod template in its namespace.",
    remediation="Make spec.selector equal labels of the pods it should route to.",
)
def check_service_selectors(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for service in index_of(ctx).of_kind("Service"):
        selector = service.get(("spec", "selector"))
        if not isinstance(selector, dict) or not selector:
            continue  # no selector: Endpoints are managed by hand
        if index.pods_matching_map(index.ns(service), selector):
            continue
        shown, ns = describe_labels(selector), index.ns(service)
        yield absent(
            ctx,
            service,
            ("spec", "selector"),
            f"selector ({shown}) matches no pod template in namespace {ns}; the Service would "
            "have no endpoints: use the labels of the pods it should reach",
            f"the pods selector ({shown}) matches are {NOT_GIVEN} (namespace {ns}); make sure "
            "the pods it should reach carry these labels",
        )


@rule(
    "GB303",
    "pdb-selects-nothing",
    severity="error",
    scope="environment",
    summary="A PodDisruptionBudget's selector matches no pod template in its namespace.",
    remediation="Make spec.selector.matchLabels equal the protected workload's pod labels.",
)
def check_pdb_selectors(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for pdb in index_of(ctx).of_kind("PodDisruptionBudget"):
        selector = pdb.get(("spec", "selector"))
        if not isinstance(selector, dict):
            message = "the PDB has no selector, so it protects nothing; add spec.selector"
            yield Issue(pdb, ("spec",), message)
        elif not index.pods_matching(index.ns(pdb), selector):
            shown, ns = describe_selector(selector), index.ns(pdb)
            yield absent(
                ctx,
                pdb,
                ("spec", "selector"),
                f"selector ({shown}) matches no pod template in namespace {ns}; it protects "
                "nothing: use the workload's pod labels",
                f"the pods selector ({shown}) matches are {NOT_GIVEN} (namespace {ns}); make "
                "sure the workload it protects carries these labels",
            )


def _peer_selectors(policy: Manifest) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """(path, podSelector) of the ingress `from` and egress `to` peers that select pods of the
    policy's own namespace: a podSelector without a namespaceSelector (with one, the pods are
    in namespaces this set may not hold)."""
    for direction, key in (("ingress", "from"), ("egress", "to")):
        for i, policy_rule in items_of(policy.get(("spec", direction))):
            for j, peer in items_of(policy_rule.get(key)):
                selector = peer.get("podSelector")
                if isinstance(selector, dict) and peer.get("namespaceSelector") is None:
                    yield ("spec", direction, i, key, j, "podSelector"), selector


def _selects_some(selector: dict[str, Any]) -> bool:
    """A selector that names labels ({} selects every pod, which cannot select nothing)."""
    return bool(selector.get("matchLabels") or selector.get("matchExpressions"))


@rule(
    "GB304",
    "networkpolicy-selects-nothing",
    severity="warning",
    scope="environment",
    summary="A NetworkPolicy's podSelector, or the podSelector of one of its ingress/egress "
    "peers, matches no pod template (an empty one matches all).",
    remediation="Use the labels of the pods the policy (or the peer) is meant for.",
)
def check_network_policy_selectors(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for policy in index_of(ctx).of_kind("NetworkPolicy"):
        ns = index.ns(policy)
        selector = policy.get(("spec", "podSelector"))
        if (
            isinstance(selector, dict)
            and _selects_some(selector)
            and not index.pods_matching(ns, selector)
        ):
            shown = describe_selector(selector)
            yield absent(
                ctx,
                policy,
                ("spec", "podSelector"),
                f"podSelector ({shown}) matches no pod template in namespace {ns}; the policy "
                "applies to nothing here",
                f"the pods podSelector ({shown}) matches are {NOT_GIVEN} (namespace {ns}); "
                "make sure the pods it is meant for carry these labels",
            )
        for path, peer in _peer_selectors(policy):
            if _selects_some(peer) and not index.pods_matching(ns, peer):
                yield Issue(
                    policy,
                    path,
                    f"{path[1]} peer podSelector ({describe_selector(peer)}) matches no pod "
                    f"template in namespace {ns}, so this rule allows traffic {path[3]} nothing; "
                    "use the labels of the pods it should allow (with a namespaceSelector for "
                    "pods of another namespace)",
                )


def container_ports(views: list[PodView]) -> tuple[set[str], set[tuple[Any, str]]]:
    """Port names and (number, protocol) pairs declared by the containers of `views`."""
    names: set[str] = set()
    numbers: set[tuple[Any, str]] = set()
    for view in views:
        for _, container in view.containers(init=True):
            for _, port in items_of(container.get("ports")):
                protocol = str(port.get("protocol") or "TCP")
                if port.get("name"):
                    names.add(str(port["name"]))
                if isinstance(port.get("containerPort"), int):
                    numbers.add((port["containerPort"], protocol))
    return names, numbers


@rule(
    "GB305",
    "service-target-port",
    severity="error",
    scope="environment",
    summary="A Service targetPort names no container port of its pods (a number not declared: "
    "warning).",
    remediation="Use a port name the containers declare under ports[].name, or declare the port.",
)
def check_service_target_ports(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for service in index_of(ctx).of_kind("Service"):
        selector = service.get(("spec", "selector"))
        if not isinstance(selector, dict) or not selector:
            continue
        views = index.pods_matching_map(index.ns(service), selector)
        if not views:
            continue  # GB302 reports it
        names, numbers = container_ports(views)
        for i, port in items_of(as_dict(service.get(("spec",))).get("ports")):
            protocol = str(port.get("protocol") or "TCP")
            target = port.get("targetPort")
            if target in (None, 0, ""):
                target = port.get("port")
            path = ("spec", "ports", i, "targetPort" if "targetPort" in port else "port")
            if isinstance(target, str) and not target.isdigit():
                if target not in names:
                    known = ", ".join(sorted(names)) or "none"
                    yield Issue(
                        service,
                        path,
                        f"targetPort {target!r} is not a port name of the selected pods "
                        f"({_workloads(views)}; their names: {known}); use one of those names "
                        "or a port number",
                    )
            elif isinstance(target, int | str) and (int(target), protocol) not in numbers:
                yield Issue(
                    service,
                    path,
                    f"port {target}/{protocol} is not declared by the selected pods "
                    f"({_workloads(views)}); declare it under the container's ports (and refer "
                    "to it by name) or fix the number",
                    severity="warning",
                )
