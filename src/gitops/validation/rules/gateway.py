"""Across one environment: Gateway API routes and Gateways, and the cert-manager issuers.

GB313 an HTTPRoute's or GRPCRoute's parentRefs name a Gateway of the set, a listener of it, and a
listener that admits the route (namespace, kind, hostname); GB314 its backendRefs name a Service
of the set, a port of it, and a ReferenceGrant allows a reference into another namespace; GB315 a
Gateway's gatewayClassName names a GatewayClass of the set; GB316 a Certificate's issuerRef and a
Gateway's (or an Ingress's) cert-manager annotation name an issuer of the set.

Defaults are those of Gateway API v1.6.1: a parentRef is a Gateway (group
gateway.networking.k8s.io) in the route's namespace; a backendRef is a Service (group "") in the
route's namespace and needs a port; a listener admits routes from its own namespace
(`allowedRoutes.namespaces.from: Same`). Every Namespace carries the label
`kubernetes.io/metadata.name` (the API server sets it) even where its manifest does not show it.

In a set not declared complete (plain-path mode without --complete) a Gateway, GatewayClass or
issuer, a Service or ReferenceGrant, or the labels of a Namespace that is not in the set may just
not be among the given files: that is a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from gitops.validation.model import Context, FieldPath, Issue, Manifest
from gitops.validation.registry import rule
from gitops.validation.rules._index import (
    CERT_MANAGER_GROUP,
    GATEWAY_GROUP,
    EnvIndex,
    index_of,
    shim_issuer,
)
from gitops.validation.rules._util import (
    as_dict,
    as_list,
    describe_selector,
    items_of,
    selector_matches,
)

ROUTE_KINDS = ("HTTPRoute", "GRPCRoute")
METADATA_NAME_LABEL = "kubernetes.io/metadata.name"
_ROUTES_BY_PROTOCOL = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS": ("TLSRoute",),
    "TCP": ("TCPRoute",),
    "UDP": ("UDPRoute",),
}
"""The route kinds a listener admits by default (no allowedRoutes.kinds), by protocol; an
implementation-specific protocol (`example.com/foo`) is not judged."""
_ISSUER_KINDS = ("Issuer", "ClusterIssuer")


# --- Matching, as Gateway API defines it --------------------------------------------------------


def hostnames_intersect(first: str, second: str) -> bool:
    """Whether two Gateway API hostnames can match the same request: equal, or one is a wildcard
    `*.example.com` and the other ends in `.example.com` (a wildcard stands for one or more
    labels: it covers `a.example.com`, `a.b.example.com` and `*.a.example.com`, never
    `example.com` itself)."""
    first, second = first.lower(), second.lower()
    return first == second or _covers(first, second) or _covers(second, first)


def _covers(wildcard: str, hostname: str) -> bool:
    return wildcard.startswith("*.") and hostname.endswith(wildcard[1:])


def listener_hostname_matches(listener_hostname: Any, route_hostnames: Iterable[Any]) -> bool:
    """A listener accepts a route when either has no hostname or one pair intersects."""
    hostnames = [h for h in route_hostnames if isinstance(h, str) and h]
    if not isinstance(listener_hostname, str) or not listener_hostname or not hostnames:
        return True
    return any(hostnames_intersect(listener_hostname, h) for h in hostnames)


@dataclass(frozen=True)
class NamespaceLabels:
    """The labels of a namespace as a listener's selector sees them."""

    name: str
    labels: Mapping[str, Any]
    known: bool  # its Namespace object is in the set (else only the name label is known)


def namespace_labels(index: EnvIndex, name: str) -> NamespaceLabels:
    namespace = index.find("Namespace", "", name)
    labels = as_dict(namespace.metadata.get("labels")) if namespace else {}
    return NamespaceLabels(name, {**labels, METADATA_NAME_LABEL: name}, namespace is not None)


@dataclass(frozen=True)
class Refusal:
    """Why a listener does not admit a route, what to change, and where (the route's hostnames
    or its parentRef)."""

    reason: str
    fix: str
    at: Literal["hostnames", "parent"] = "parent"
    certain: bool = True  # False: it depends on labels of a Namespace that is not in the set


def namespace_refusal(
    listener: Mapping[str, Any], gateway_ns: str, route_ns: NamespaceLabels
) -> Refusal | None:
    """Whether `allowedRoutes.namespaces` of a listener (default `from: Same`) lets in routes of
    `route_ns`, evaluating a selector against the labels of its Namespace."""
    namespaces = as_dict(as_dict(listener.get("allowedRoutes")).get("namespaces"))
    source = namespaces.get("from", "Same")
    if source == "Same" and route_ns.name != gateway_ns:
        shown = "from: Same" if "from" in namespaces else "from: Same, the default"
        return Refusal(
            f"it admits routes of its own namespace {gateway_ns} only (allowedRoutes.namespaces."
            f"{shown})",
            f"let the listener admit namespace {route_ns.name} (allowedRoutes.namespaces.from: "
            f"Selector or All) or move the route to namespace {gateway_ns}",
        )
    if source != "Selector":
        return None  # All, Same in its own namespace, or an unknown value (the schema's business)
    selector = as_dict(namespaces.get("selector"))
    if selector_matches(selector, route_ns.labels):  # {} selects every namespace
        return None
    reason = (
        f"its allowedRoutes.namespaces.selector ({describe_selector(selector)}) does not select "
        f"namespace {route_ns.name}"
    )
    matters = not route_ns.known and _selector_keys(selector) - {METADATA_NAME_LABEL}
    if matters:
        reason += (
            f" (Namespace {route_ns.name} is not among the manifests, so only its label "
            f"{METADATA_NAME_LABEL}={route_ns.name} is known)"
        )
    return Refusal(
        reason,
        f"label Namespace {route_ns.name} to match the selector or widen the listener's selector",
        certain=not matters,
    )


def _selector_keys(selector: Mapping[str, Any]) -> set[str]:
    keys = {str(k) for k in as_dict(selector.get("matchLabels"))}
    keys.update(str(e.get("key")) for _, e in items_of(selector.get("matchExpressions")))
    return keys


def kind_refusal(listener: Mapping[str, Any], route_kind: str) -> Refusal | None:
    """Whether a listener admits routes of `route_kind`: `allowedRoutes.kinds` when set, else the
    kinds its protocol carries."""
    kinds = [k for _, k in items_of(as_dict(listener.get("allowedRoutes")).get("kinds"))]
    if kinds:
        if any(
            k.get("kind") == route_kind and k.get("group", GATEWAY_GROUP) == GATEWAY_GROUP
            for k in kinds
        ):
            return None
        shown = ", ".join(str(k.get("kind")) for k in kinds)
        return Refusal(
            f"its allowedRoutes.kinds ({shown}) do not include {route_kind}",
            f"add {route_kind} to the listener's allowedRoutes.kinds or attach to another listener",
        )
    protocol = listener.get("protocol")
    carried = _ROUTES_BY_PROTOCOL.get(protocol) if isinstance(protocol, str) else None
    if carried is None or route_kind in carried:
        return None
    return Refusal(
        f"its protocol {protocol} does not carry {route_kind}s",
        "attach to an HTTP or HTTPS listener",
    )


def hostname_refusal(listener: Mapping[str, Any], route: Manifest) -> Refusal | None:
    hostnames = as_list(route.get(("spec", "hostnames")))
    if listener_hostname_matches(listener.get("hostname"), hostnames):
        return None
    shown = ", ".join(str(h) for h in hostnames)
    return Refusal(
        f"its hostname {listener['hostname']} matches none of the route's hostnames ({shown})",
        f"add a hostname that {listener['hostname']} matches to spec.hostnames or attach to the "
        "listener for these hostnames",
        at="hostnames",
    )


def listener_refusals(
    listener: Mapping[str, Any], gateway_ns: str, route: Manifest, route_ns: NamespaceLabels
) -> list[Refusal]:
    """Every reason the listener does not admit the route; [] when it does."""
    found = (
        namespace_refusal(listener, gateway_ns, route_ns),
        kind_refusal(listener, route.kind),
        hostname_refusal(listener, route),
    )
    return [refusal for refusal in found if refusal is not None]


# --- Helpers ------------------------------------------------------------------------------------


def _absent(ctx: Context, manifest: Manifest, path: FieldPath, what: str, fix: str) -> Issue:
    """`what` is not in the set: an error in a complete set, else a warning (it may be
    elsewhere)."""
    if ctx.facts.complete:
        where = f"environment {ctx.facts.environment}" if ctx.facts.environment else "this set"
        return Issue(manifest, path, f"{what} does not exist in {where}; {fix}")
    return Issue(
        manifest,
        path,
        f"{what} is not among the given files; {fix}, or make sure it exists in the cluster",
        severity="warning",
    )


def _of_group(index: EnvIndex, group: str, *kinds: str) -> list[Manifest]:
    return [m for kind in kinds for m in index.of_kind(kind) if m.group == group]


def _names(manifests: Iterable[Any], key: str = "name") -> str:
    return ", ".join(sorted({str(m.get(key)) for m in manifests if m.get(key) is not None}))


# --- GB313: route parents -----------------------------------------------------------------------


@rule(
    "GB313",
    "route-not-accepted",
    severity="error",
    scope="environment",
    summary="An HTTPRoute/GRPCRoute parentRef names no Gateway of the set, no listener of it, or "
    "listeners that do not admit the route (namespace, kind, hostname).",
    remediation="Point parentRefs at a Gateway and listener (sectionName) that admit the route's "
    "namespace and hostnames, or change the listener's allowedRoutes/hostname.",
    kinds=ROUTE_KINDS,
)
def check_route_parents(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for route in _of_group(index, GATEWAY_GROUP, *ROUTE_KINDS):
        for i, parent in items_of(route.get(("spec", "parentRefs"))):
            if (
                parent.get("group", GATEWAY_GROUP) == GATEWAY_GROUP
                and parent.get("kind", "Gateway") == "Gateway"
                and isinstance(parent.get("name"), str)
                and parent["name"]
            ):
                yield from _parent_issues(ctx, index, route, ("spec", "parentRefs", i), parent)


def _parent_issues(
    ctx: Context, index: EnvIndex, route: Manifest, path: FieldPath, parent: dict[str, Any]
) -> Iterator[Issue]:
    route_ns = index.ns(route)
    gateway_ns = str(parent.get("namespace") or route_ns)
    gateway = index.find_in_group(GATEWAY_GROUP, "Gateway", gateway_ns, parent["name"])
    shown = f"{gateway_ns}/{parent['name']}"
    if gateway is None:
        fix = "fix the parentRef's name/namespace or add the Gateway"
        yield _absent(ctx, route, (*path, "name"), f"Gateway {shown}", fix)
        return
    listeners = [listener for _, listener in items_of(gateway.get(("spec", "listeners")))]
    chosen = _chosen_listeners(listeners, parent)
    if isinstance(chosen, tuple):
        key, problem = chosen
        yield Issue(route, (*path, key), f"Gateway {shown} {problem}")
        return
    labels = namespace_labels(index, route_ns)
    refusals = [listener_refusals(l_, gateway_ns, route, labels) for l_ in chosen]
    if not chosen or not all(refusals):
        return  # admitted by a listener (or a Gateway without listeners: the schema's business)
    if parent.get("sectionName") is not None:
        name = parent["sectionName"]
        for refusal in refusals[0]:
            where = ("spec", "hostnames") if refusal.at == "hostnames" else (*path, "sectionName")
            message = (
                f"listener {name!r} of Gateway {shown} does not admit this {route.kind}: "
                f"{refusal.reason}; {refusal.fix}"
            )
            yield _refused(ctx, route, where, message, [refusal])
        return
    reasons = "; ".join(
        f"{listener.get('name')}: {r.reason}"
        for listener, found in zip(chosen, refusals, strict=True)
        for r in found
    )
    message = (
        f"no listener of Gateway {shown} admits this {route.kind} ({reasons}); set "
        "sectionName to a listener meant for it, or change the route or the listeners' "
        "allowedRoutes/hostname"
    )
    yield _refused(ctx, route, (*path, "name"), message, [r for rs in refusals for r in rs])


def _chosen_listeners(
    listeners: list[dict[str, Any]], parent: dict[str, Any]
) -> list[dict[str, Any]] | tuple[str, str]:
    """The listeners a parentRef attaches to (by sectionName and port), or (the parentRef's field
    at fault, why) when there are none."""
    section, port = parent.get("sectionName"), parent.get("port")
    chosen = listeners
    if section is not None:
        chosen = [listener for listener in listeners if listener.get("name") == section]
        if not chosen:
            return "sectionName", (
                f"has no listener {section!r} (its listeners: {_names(listeners) or 'none'}); "
                "set sectionName to one of them"
            )
    if port is not None:
        numbers = sorted({lst["port"] for lst in chosen if _is_port(lst.get("port"))})
        ports = ", ".join(map(str, numbers)) or "none"
        chosen = [listener for listener in chosen if listener.get("port") == port]
        if not chosen:
            what = f"listener {section!r} on" if section is not None else "listener on"
            return "port", (
                f"has no {what} port {port} (listening on: {ports}); fix the parentRef's port or "
                "remove it"
            )
    return chosen


def _refused(
    ctx: Context, route: Manifest, path: FieldPath, message: str, refusals: list[Refusal]
) -> Issue:
    uncertain = any(not refusal.certain for refusal in refusals)
    return Issue(route, path, message, "warning" if uncertain and not ctx.facts.complete else None)


# --- GB314: route backends ----------------------------------------------------------------------


@rule(
    "GB314",
    "missing-route-backend",
    severity="error",
    scope="environment",
    summary="An HTTPRoute/GRPCRoute backendRef names no Service of the set, no port of it, or a "
    "Service of another namespace without a ReferenceGrant there.",
    remediation="Point backendRefs at a rendered Service and one of its port numbers; for another "
    "namespace, add a ReferenceGrant in that namespace.",
    kinds=[*ROUTE_KINDS, "Service", "ReferenceGrant"],
)
def check_route_backends(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for route in _of_group(index, GATEWAY_GROUP, *ROUTE_KINDS):
        for path, ref in _backend_refs(route):
            if (
                ref.get("group", "") == ""
                and ref.get("kind", "Service") == "Service"
                and isinstance(ref.get("name"), str)
                and ref["name"]
            ):
                yield from _backend_issues(ctx, index, route, path, ref)


def _backend_refs(route: Manifest) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """(path, ref) of each backendRef of the route's rules, and of their requestMirror filters."""
    for i, rule_ in items_of(route.get(("spec", "rules"))):
        for j, ref in items_of(rule_.get("backendRefs")):
            yield ("spec", "rules", i, "backendRefs", j), ref
        for k, filter_ in items_of(rule_.get("filters")):
            mirror = as_dict(filter_.get("requestMirror")).get("backendRef")
            if isinstance(mirror, dict):
                yield ("spec", "rules", i, "filters", k, "requestMirror", "backendRef"), mirror


def _backend_issues(
    ctx: Context, index: EnvIndex, route: Manifest, path: FieldPath, ref: dict[str, Any]
) -> Iterator[Issue]:
    route_ns = index.ns(route)
    ns, name = str(ref.get("namespace") or route_ns), ref["name"]
    service = index.find_in_group("", "Service", ns, name)
    if service is None:
        fix = "fix the backendRef's name/namespace or add the Service"
        shown = f"Service {ns}/{name}" if ns != route_ns else f"Service {name!r}"
        yield _absent(ctx, route, (*path, "name"), shown, fix)
        return
    if ns != route_ns and not _granted(index, route, route_ns, ns, name):
        yield _absent(
            ctx,
            route,
            (*path, "namespace"),
            f"a ReferenceGrant in namespace {ns} that lets {route.kind}s of namespace {route_ns} "
            f"refer to Service {name}",
            f"add one (from: group {GATEWAY_GROUP}, kind {route.kind}, namespace {route_ns}; to: "
            f'group "", kind Service, name {name}) or move the route next to the Service',
        )
    ports = sorted(
        {p["port"] for _, p in items_of(service.get(("spec", "ports"))) if _is_port(p.get("port"))}
    )
    shown = ", ".join(map(str, ports)) or "none"
    port = ref.get("port")
    if port is None:
        yield Issue(
            route,
            (*path, "name"),
            f"backendRef to Service {name!r} has no port, which a Service backend requires; set "
            f"port to one of its ports ({shown})",
        )
    elif port not in ports:
        yield Issue(
            route,
            (*path, "port"),
            f"Service {name!r} has no port {port} (its ports: {shown}); use one of its port "
            "numbers",
        )


def _is_port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _granted(index: EnvIndex, route: Manifest, route_ns: str, ns: str, name: str) -> bool:
    """Whether a ReferenceGrant in `ns` lets routes of `route`'s kind in `route_ns` refer to
    Service `name` (a `to` without a name covers every Service)."""
    for grant in index.of_kind("ReferenceGrant"):
        if grant.group != GATEWAY_GROUP or index.ns(grant) != ns:
            continue
        froms = [f for _, f in items_of(grant.get(("spec", "from")))]
        tos = [t for _, t in items_of(grant.get(("spec", "to")))]
        if any(
            f.get("group") == GATEWAY_GROUP
            and f.get("kind") == route.kind
            and f.get("namespace") == route_ns
            for f in froms
        ) and any(
            t.get("group") == "" and t.get("kind") == "Service" and t.get("name") in (None, name)
            for t in tos
        ):
            return True
    return False


# --- GB315: Gateway classes ---------------------------------------------------------------------


@rule(
    "GB315",
    "missing-gatewayclass",
    severity="error",
    scope="environment",
    summary="A Gateway's gatewayClassName names no GatewayClass of the set.",
    remediation="Fix spec.gatewayClassName or add the GatewayClass (with the controller's "
    "controllerName).",
    kinds=["Gateway", "GatewayClass"],
)
def check_gateway_classes(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    classes = _of_group(index, GATEWAY_GROUP, "GatewayClass")
    for gateway in _of_group(index, GATEWAY_GROUP, "Gateway"):
        name = gateway.get(("spec", "gatewayClassName"))
        if not isinstance(name, str) or not name:
            continue
        if index.find_in_group(GATEWAY_GROUP, "GatewayClass", "", name) is None:
            known = ", ".join(sorted(c.name for c in classes)) or "none"
            yield _absent(
                ctx,
                gateway,
                ("spec", "gatewayClassName"),
                f"GatewayClass {name!r}",
                f"set spec.gatewayClassName to one that is (GatewayClasses here: {known}) or add "
                "it",
            )


# --- GB316: cert-manager issuers ----------------------------------------------------------------


@rule(
    "GB316",
    "missing-issuer",
    severity="error",
    scope="environment",
    summary="A Certificate's issuerRef, or a Gateway's/Ingress's cert-manager.io/cluster-issuer or "
    "cert-manager.io/issuer annotation, names no issuer of the set.",
    remediation="Name a ClusterIssuer (or an Issuer of the same namespace) that the manifests "
    "define, or add it.",
    kinds=["Certificate", "Gateway", "Ingress", *_ISSUER_KINDS],
)
def check_issuers(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for certificate in _of_group(index, CERT_MANAGER_GROUP, "Certificate"):
        ref = as_dict(certificate.get(("spec", "issuerRef")))
        name, group = ref.get("name"), ref.get("group") or CERT_MANAGER_GROUP
        if isinstance(name, str) and name and group == CERT_MANAGER_GROUP:
            kind = str(ref.get("kind") or "Issuer")
            path = ("spec", "issuerRef", "kind" if kind not in _ISSUER_KINDS else "name")
            yield from _issuer_issues(ctx, index, certificate, path, (kind, name))
    shimmed = [
        *_of_group(index, GATEWAY_GROUP, "Gateway"),
        *_of_group(index, "networking.k8s.io", "Ingress"),
    ]
    for manifest in shimmed:
        issuer = shim_issuer(manifest)
        if issuer is None:
            continue
        path = ("metadata", "annotations", issuer.annotation)
        if issuer.problem:
            fix = "keep only one of them" if issuer.problem.startswith("both") else "name one"
            yield Issue(
                manifest,
                path,
                f"{issuer.problem}, so cert-manager issues no certificate for this "
                f"{manifest.kind}; {fix}",
            )
        elif issuer.group == CERT_MANAGER_GROUP:
            yield from _issuer_issues(ctx, index, manifest, path, (issuer.kind, issuer.name))


def _issuer_issues(
    ctx: Context, index: EnvIndex, manifest: Manifest, path: FieldPath, issuer: tuple[str, str]
) -> Iterator[Issue]:
    """Whether the (kind, name) issuer that `manifest` names at `path` is in the set."""
    kind, name = issuer
    if kind not in _ISSUER_KINDS:
        yield Issue(
            manifest,
            path,
            f"issuer kind {kind!r} is not one of cert-manager's (Issuer, ClusterIssuer); use "
            "one of them or set the issuer's group",
        )
        return
    ns = "" if kind == "ClusterIssuer" else index.ns(manifest)
    if index.find_in_group(CERT_MANAGER_GROUP, kind, ns, name) is None:
        issuers = _of_group(index, CERT_MANAGER_GROUP, kind)
        known = ", ".join(sorted(m.name for m in issuers if index.ns(m) == ns))
        where = f" in namespace {ns}" if ns else ""
        yield _absent(
            ctx,
            manifest,
            path,
            f"{kind} {name!r}{where}",
            f"name one that is ({kind}s here: {known or 'none'}) or add it",
        )
