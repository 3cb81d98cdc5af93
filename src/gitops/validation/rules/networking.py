"""Services and Ingresses the API server refuses: ports, names, paths, hosts, backends."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, Manifest
from gitops.validation.registry import rule
from gitops.validation.rules._util import (
    as_dict,
    as_list,
    dns_label_problem,
    dns_subdomain_problem,
    int_or_port_name_problem,
    items_of,
    port_name_problem,
    port_number_problem,
)

_NODE_PORT_TYPES = frozenset({"NodePort", "LoadBalancer"})
_BAD_PATH_PARTS = ("//", "/./", "/../", "%2f", "%2F")
_WILDCARD = re.compile(r"\*\.(.+)")


@rule(
    "GB208",
    "invalid-service-port",
    severity="error",
    scope="object",
    summary="Service ports: out of range, repeated, unnamed when several, bad targetPort/nodePort.",
    remediation="Name every port when there are several (DNS label), keep port/protocol unique.",
    kinds=["Service"],
)
def check_service_ports(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    spec = as_dict(manifest.get(("spec",)))
    service_type = spec.get("type", "ClusterIP")
    if service_type == "ExternalName" and not spec.get("externalName"):
        yield Issue(manifest, ("spec",), "type ExternalName needs spec.externalName (a DNS name)")
    ports = list(items_of(spec.get("ports")))
    names: set[str] = set()
    numbers: set[tuple[Any, str]] = set()
    for i, port in ports:
        path = ("spec", "ports", i)
        yield from _service_port_name_issues(manifest, path, port, names, several=len(ports) > 1)
        number, protocol = port.get("port"), str(port.get("protocol") or "TCP")
        problem = port_number_problem(number)
        if problem:
            yield Issue(manifest, (*path, "port"), f"port {number!r} {problem}")
        elif (number, protocol) in numbers:
            message = f"port {number}/{protocol} is listed twice; remove the duplicate"
            yield Issue(manifest, (*path, "port"), message)
        else:
            numbers.add((number, protocol))
        target = port.get("targetPort")
        problem = None if target in (None, 0, "") else int_or_port_name_problem(target)
        if problem:
            yield Issue(manifest, (*path, "targetPort"), f"targetPort {target!r} {problem}")
        yield from _node_port_issues(manifest, path, port.get("nodePort"), service_type)


def _service_port_name_issues(
    manifest: Manifest, path: FieldPath, port: dict[str, Any], names: set[str], *, several: bool
) -> Iterator[Issue]:
    """Every port named (a DNS label, once) when there are several; `names` collects them."""
    name = port.get("name")
    if not name and several:
        yield Issue(
            manifest,
            path,
            f"port {port.get('port')} needs a name: a Service with several ports must "
            "name each one (e.g. http, metrics)",
        )
    elif isinstance(name, str) and name:
        problem = dns_label_problem(name)
        if problem:
            yield Issue(manifest, (*path, "name"), f"port name {name!r} {problem}")
        elif name in names:
            yield Issue(manifest, (*path, "name"), f"port name {name!r} is used twice")
        names.add(name)


def _node_port_issues(
    manifest: Manifest, path: FieldPath, node_port: Any, service_type: str
) -> Iterator[Issue]:
    if node_port in (None, 0):
        return
    if service_type not in _NODE_PORT_TYPES:
        yield Issue(
            manifest,
            (*path, "nodePort"),
            f"nodePort is only allowed for type NodePort or LoadBalancer (this is "
            f"{service_type}); remove it",
        )
    elif port_number_problem(node_port):
        message = f"nodePort {node_port!r} {port_number_problem(node_port)}"
        yield Issue(manifest, (*path, "nodePort"), message)


def _host_problem(host: str) -> str | None:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return "must be a DNS name, not an IP address"
    wildcard = _WILDCARD.fullmatch(host)
    problem = dns_subdomain_problem(wildcard.group(1) if wildcard else host)
    return f"must be a DNS name or *.wildcard: it {problem}" if problem else None


def _path_problem(path: Any, path_type: Any) -> str | None:
    if path_type not in ("Exact", "Prefix"):
        return None
    if not isinstance(path, str) or not path.startswith("/"):
        return f"must be an absolute path starting with '/' for pathType {path_type}"
    for bad in _BAD_PATH_PARTS:
        if bad in path:
            return f"must not contain {bad!r}"
    if path.endswith(("/..", "/.")):
        return "must not end with '/..' or '/.'"
    return None


def _backend_issues(manifest: Manifest, path: FieldPath, backend: Any) -> Iterator[Issue]:
    backend = as_dict(backend)
    service, resource = backend.get("service"), backend.get("resource")
    if (service is None) == (resource is None):
        message = "a backend needs exactly one of service or resource"
        yield Issue(manifest, path, message)
        return
    port = as_dict(as_dict(service).get("port"))
    if service is None:
        return
    name, number = port.get("name"), port.get("number")
    ppath = (*path, "service", "port")
    if (name is None) == (number is None):
        yield Issue(manifest, ppath, "service.port needs exactly one of name or number")
    elif name is not None and port_name_problem(str(name)):
        yield Issue(manifest, (*ppath, "name"), f"port name {name!r} {port_name_problem(name)}")
    elif number is not None and port_number_problem(number):
        message = f"port number {number!r} {port_number_problem(number)}"
        yield Issue(manifest, (*ppath, "number"), message)


@rule(
    "GB221",
    "invalid-ingress",
    severity="error",
    scope="object",
    summary="Ingress hosts, paths or backends the API server refuses.",
    remediation="Hosts: DNS names; Prefix/Exact paths start with '/'; one backend port each.",
    kinds=["Ingress"],
)
def check_ingress(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    spec = as_dict(manifest.get(("spec",)))
    if not spec.get("rules") and spec.get("defaultBackend") is None:
        yield Issue(manifest, ("spec",), "an Ingress needs rules or a defaultBackend")
    if spec.get("defaultBackend") is not None:
        path = ("spec", "defaultBackend")
        yield from _backend_issues(manifest, path, spec["defaultBackend"])
    for i, ingress_rule in items_of(spec.get("rules")):
        rpath = ("spec", "rules", i)
        host = ingress_rule.get("host")
        if isinstance(host, str) and host and _host_problem(host):
            yield Issue(manifest, (*rpath, "host"), f"host {host!r} {_host_problem(host)}")
        for j, entry in items_of(as_dict(ingress_rule.get("http")).get("paths")):
            ppath = (*rpath, "http", "paths", j)
            problem = _path_problem(entry.get("path"), entry.get("pathType"))
            if problem:
                yield Issue(manifest, (*ppath, "path"), f"path {entry.get('path')!r} {problem}")
            yield from _backend_issues(manifest, (*ppath, "backend"), entry.get("backend"))
    for i, tls in items_of(spec.get("tls")):
        yield from _tls_issues(manifest, ("spec", "tls", i), tls)


def _tls_issues(manifest: Manifest, path: FieldPath, tls: dict[str, Any]) -> Iterator[Issue]:
    """One `tls` entry: its hosts are host names, its secretName a DNS subdomain."""
    for j, host in enumerate(as_list(tls.get("hosts"))):
        if isinstance(host, str) and _host_problem(host):
            yield Issue(manifest, (*path, "hosts", j), f"TLS host {host!r} {_host_problem(host)}")
    secret = tls.get("secretName")
    if isinstance(secret, str) and secret and dns_subdomain_problem(secret):
        message = f"secretName {secret!r} {dns_subdomain_problem(secret)}"
        yield Issue(manifest, (*path, "secretName"), message)
