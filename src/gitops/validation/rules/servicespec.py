"""Services the API server refuses for what their type allows (the ports themselves: GB208).

Mirrors `ValidateService`, `validateServiceExternalTrafficPolicy`, `validateLoadBalancerClassField`
and `ValidateServiceClusterIPsRelatedFields` of pkg/apis/core/validation/validation.go in
kubernetes/kubernetes (commit 000f26050b9be6fb3d79fae95e06b47fc96128cd), applied to the object as
`SetDefaults_Service` (pkg/apis/core/v1/defaults.go) leaves it: type ClusterIP when unset,
externalTrafficPolicy and allocateLoadBalancerNodePorts defaulted only where they are allowed,
and `ExternallyAccessible` (pkg/api/service/util.go) as the API server decides it. IP addresses
and CIDRs are read as leniently as the oldest supported releases do (leading zeros allowed): only
a value no release accepts is reported.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, Manifest
from gitops.validation.registry import rule
from gitops.validation.rules._util import (
    as_list,
    dns_subdomain_problem,
    port_number_problem,
    qualified_name_problem,
)

_TYPES = frozenset({"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"})
_SPEC_FIELDS = frozenset(
    {
        "allocateLoadBalancerNodePorts", "clusterIP", "clusterIPs", "externalIPs", "externalName",
        "externalTrafficPolicy", "healthCheckNodePort", "internalTrafficPolicy", "ipFamilies",
        "ipFamilyPolicy", "loadBalancerClass", "loadBalancerIP", "loadBalancerSourceRanges",
        "ports", "publishNotReadyAddresses", "selector", "sessionAffinity",
        "sessionAffinityConfig", "trafficDistribution", "type",
    }
)  # fmt: skip
"""core/v1 ServiceSpec's fields: another key is unknown (GB101), most likely a misspelt one."""
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_ip(value: Any) -> IPAddress | None:
    """An IP address as Go's net.ParseIP (netutils.ParseIPSloppy) reads it, else None."""
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        pass
    parts = value.split(".")
    if len(parts) == 4 and all(part.isdigit() and len(part) <= 3 for part in parts):
        try:  # ParseIPSloppy takes IPv4 octets with leading zeros as decimal
            return ipaddress.ip_address(".".join(str(int(part)) for part in parts))
        except ValueError:
            return None
    return None


def cidr_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    address, slash, bits = value.strip().partition("/")
    if not slash or not bits.isdigit() or parse_ip(address) is None:
        return "must be a CIDR such as 10.0.0.0/8 or 2001:db8::/32"
    limit = 32 if isinstance(parse_ip(address), ipaddress.IPv4Address) else 128
    return None if int(bits) <= limit else f"has a prefix length over {limit}"


def special_ip_problem(ip: IPAddress) -> str | None:
    """ValidateNonSpecialIP: no unspecified, loopback, link-local or link-local multicast."""
    if ip.is_unspecified:
        return "may not be unspecified"
    if ip.is_loopback:
        return "may not be in the loopback range (127.0.0.0/8, ::1/128)"
    if ip.is_link_local:
        return "may not be in the link-local range (169.254.0.0/16, fe80::/10)"
    local_multicast = ipaddress.ip_network("224.0.0.0/24" if ip.version == 4 else "ff02::/16")
    if ip in local_multicast:
        return "may not be in the link-local multicast range"
    return None


def _headless(spec: dict[str, Any]) -> bool:
    ips = as_list(spec.get("clusterIPs"))
    return spec.get("clusterIP") == "None" or (len(ips) == 1 and ips[0] == "None")


def _externally_accessible(service_type: str, spec: dict[str, Any]) -> bool:
    return service_type in ("LoadBalancer", "NodePort") or (
        service_type == "ClusterIP" and bool(as_list(spec.get("externalIPs")))
    )


@rule(
    "GB233",
    "invalid-service-spec",
    severity="error",
    scope="object",
    summary="A Service sets what its type does not allow, or lacks what it needs: no ports, "
    "headless NodePort/LoadBalancer, LoadBalancer-only fields elsewhere, externalTrafficPolicy "
    "on an internal Service, malformed clusterIP, externalIPs, source ranges or externalName.",
    remediation="Give the Service ports (or clusterIP: None), and set type-specific fields only "
    "on the type that takes them (type: LoadBalancer for loadBalancer*, NodePort/LoadBalancer for "
    "externalTrafficPolicy).",
    kinds=["Service"],
)
def check_service_spec(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    spec = manifest.get(("spec",))
    if manifest.group or not isinstance(spec, dict):
        return
    service_type = spec.get("type") or "ClusterIP"
    if service_type not in _TYPES:
        return  # the schema's business
    yield from _ports_issues(manifest, spec, service_type)
    if service_type == "ExternalName":
        yield from _external_name_issues(manifest, spec)
    else:
        yield from _cluster_ip_issues(manifest, spec, service_type)
    yield from _external_ip_issues(manifest, spec)
    yield from _load_balancer_issues(manifest, spec, service_type)
    yield from _traffic_policy_issues(manifest, spec, service_type)


def _ports_issues(manifest: Manifest, spec: dict[str, Any], service_type: str) -> Iterator[Issue]:
    if as_list(spec.get("ports")) or service_type == "ExternalName" or _headless(spec):
        return
    if "ports" not in spec and set(spec) - _SPEC_FIELDS:
        return  # `prots:`: the schema's unknown field says it where it is
    path: FieldPath = ("spec", "ports") if "ports" in spec else ("spec",)
    yield Issue(
        manifest,
        path,
        f"a {service_type} Service needs at least one port; add spec.ports (or make it headless "
        "with clusterIP: None)",
    )


def _external_name_issues(manifest: Manifest, spec: dict[str, Any]) -> Iterator[Issue]:
    name = spec.get("externalName")
    if isinstance(name, str) and name.rstrip("."):
        problem = dns_subdomain_problem(name.removesuffix("."))
        if problem:
            message = f"externalName {name!r} must be a DNS name (a CNAME target): it {problem}"
            yield Issue(manifest, ("spec", "externalName"), message)
    for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        if spec.get(key) not in (None, "", []):
            yield Issue(
                manifest,
                ("spec", key),
                f"{key} may not be set for an ExternalName Service (it has no cluster IP); "
                "remove it",
            )


def _cluster_ip_issues(
    manifest: Manifest, spec: dict[str, Any], service_type: str
) -> Iterator[Issue]:
    cluster_ip, cluster_ips = spec.get("clusterIP"), as_list(spec.get("clusterIPs"))
    if _headless(spec) and service_type in ("NodePort", "LoadBalancer"):
        key = "clusterIP" if cluster_ip == "None" else "clusterIPs"
        yield Issue(
            manifest,
            ("spec", key),
            f"clusterIP None (headless) is not allowed for a {service_type} Service; remove it "
            "or use type ClusterIP",
        )
    if cluster_ip not in (None, "", "None") and parse_ip(cluster_ip) is None:
        message = f"clusterIP {cluster_ip!r} must be an IP address, 'None' or empty"
        yield Issue(manifest, ("spec", "clusterIP"), message)
    for i, value in enumerate(cluster_ips):
        if (i, value) != (0, "None") and parse_ip(value) is None:
            message = f"clusterIPs[{i}] {value!r} must be an IP address ('None' only alone)"
            yield Issue(manifest, ("spec", "clusterIPs", i), message)
    if cluster_ip not in (None, "") and cluster_ips and cluster_ips[0] != cluster_ip:
        yield Issue(
            manifest,
            ("spec", "clusterIPs"),
            f"clusterIPs[0] ({cluster_ips[0]}) must equal clusterIP ({cluster_ip}); set one of "
            "them only",
        )


def _external_ip_issues(manifest: Manifest, spec: dict[str, Any]) -> Iterator[Issue]:
    for i, value in enumerate(as_list(spec.get("externalIPs"))):
        ip = parse_ip(value)
        problem = "must be an IP address" if ip is None else special_ip_problem(ip)
        if problem:
            yield Issue(manifest, ("spec", "externalIPs", i), f"externalIP {value!r} {problem}")


def _load_balancer_issues(
    manifest: Manifest, spec: dict[str, Any], service_type: str
) -> Iterator[Issue]:
    lb = service_type == "LoadBalancer"
    for key in ("loadBalancerSourceRanges", "allocateLoadBalancerNodePorts", "loadBalancerClass"):
        if not lb and spec.get(key) not in (None, []):
            yield Issue(
                manifest,
                ("spec", key),
                f"{key} may only be set on a LoadBalancer Service (this is {service_type}); "
                "remove it or change the type",
            )
    for i, value in enumerate(as_list(spec.get("loadBalancerSourceRanges"))):
        problem = cidr_problem(value)
        if problem:
            path = ("spec", "loadBalancerSourceRanges", i)
            yield Issue(manifest, path, f"source range {value!r} {problem}")
    lb_class = spec.get("loadBalancerClass")
    if lb and isinstance(lb_class, str):
        problem = qualified_name_problem(lb_class)
        if problem:
            message = f"loadBalancerClass {lb_class!r} must be a qualified name: {problem}"
            yield Issue(manifest, ("spec", "loadBalancerClass"), message)


def _traffic_policy_issues(
    manifest: Manifest, spec: dict[str, Any], service_type: str
) -> Iterator[Issue]:
    policy = spec.get("externalTrafficPolicy")
    if policy not in (None, "") and not _externally_accessible(service_type, spec):
        yield Issue(
            manifest,
            ("spec", "externalTrafficPolicy"),
            f"externalTrafficPolicy may only be set on an externally accessible Service "
            f"(NodePort, LoadBalancer, or with externalIPs; this is {service_type}); remove it",
        )
    health = spec.get("healthCheckNodePort")
    if health in (None, 0):
        return
    if service_type != "LoadBalancer" or policy != "Local":
        yield Issue(
            manifest,
            ("spec", "healthCheckNodePort"),
            "healthCheckNodePort may only be set on a LoadBalancer Service with "
            "externalTrafficPolicy: Local; remove it",
        )
    elif port_number_problem(health):
        message = f"healthCheckNodePort {health!r} {port_number_problem(health)}"
        yield Issue(manifest, ("spec", "healthCheckNodePort"), message)
