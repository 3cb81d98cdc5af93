"""Containers the API server refuses (or a server-side apply does): names, ports and environment
variables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, Manifest, PodView
from gitops.validation.registry import rule
from gitops.validation.rules._util import (
    as_dict,
    config_key_problem,
    dns_label_problem,
    dns_subdomain_problem,
    items_of,
    port_name_problem,
    port_number_problem,
)

_STRICT_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
_RELAXED_ENV_NAME = re.compile(r"[\x20-\x3c\x3e-\x7e]+")  # printable ASCII except '='
RELAXED_ENV_SINCE = (1, 32)  # RelaxedEnvironmentVariableValidation: beta (on) 1.32, GA 1.34
_VALUE_FROM_SOURCES = (
    "fieldRef",
    "resourceFieldRef",
    "configMapKeyRef",
    "secretKeyRef",
    "fileKeyRef",
)


def version_tuple(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    try:
        return int(major), int(minor)
    except ValueError:
        return (1, 99)


@rule(
    "GB206",
    "invalid-container-name",
    severity="error",
    scope="pod",
    summary="A container name is not a DNS-1123 label or repeats (containers + initContainers).",
    remediation="Give every container, init container included, its own lower-case DNS label.",
)
def check_container_names(view: PodView, ctx: Context) -> Iterator[Issue]:
    seen: dict[str, str] = {}
    for cpath, container in view.containers():
        name = container.get("name")
        if not isinstance(name, str) or not name:
            continue  # required: the schema reports it
        problem = dns_label_problem(name)
        if problem:
            message = f"container name {name!r} must be a DNS-1123 label: it {problem}"
            yield Issue(view.manifest, (*cpath, "name"), message)
        where = str(cpath[-2])
        if name in seen:
            yield Issue(
                view.manifest,
                (*cpath, "name"),
                f"container name {name!r} is already used in {seen[name]}; names must be unique "
                "across containers, initContainers and ephemeralContainers: rename one",
            )
        else:
            seen[name] = where


@rule(
    "GB207",
    "invalid-container-port",
    severity="error",
    scope="pod",
    summary="containerPort/hostPort out of 1-65535, bad or repeated port name, clashing hostPort.",
    remediation="Use ports 1-65535, unique IANA names (≤ 15 chars, a-z0-9-), one entry per port.",
)
def check_container_ports(view: PodView, ctx: Context) -> Iterator[Issue]:
    host_ports: dict[tuple[Any, str, str], str] = {}
    for cpath, container in view.containers():
        cname = str(container.get("name", "?"))
        names: set[str] = set()
        numbers: set[tuple[Any, str]] = set()
        for i, port in items_of(container.get("ports")):
            ppath = (*cpath, "ports", i)
            yield from _port_number_issues(view.manifest, ppath, port, cname, numbers)
            yield from _port_name_issues(view.manifest, ppath, port, cname, names)
            yield from _host_port_issues(view.manifest, ppath, port, cname, host_ports)


def _port_number_issues(
    manifest: Manifest,
    ppath: FieldPath,
    port: dict[str, Any],
    cname: str,
    numbers: set[tuple[Any, str]],
) -> Iterator[Issue]:
    """containerPort in range and listed once per protocol; `numbers` collects them."""
    number, protocol = port.get("containerPort"), str(port.get("protocol") or "TCP")
    problem = port_number_problem(number)
    if problem:
        yield Issue(
            manifest, (*ppath, "containerPort"), f"{cname}: containerPort {number!r} {problem}"
        )
    elif (number, protocol) in numbers:  # number is an int here
        yield Issue(
            manifest,
            (*ppath, "containerPort"),
            f"{cname}: containerPort {number}/{protocol} is listed twice; remove the "
            "duplicate (kubectl apply merges ports by number and drops one)",
            severity="warning",
        )
    if isinstance(number, int):
        numbers.add((number, protocol))


def _port_name_issues(
    manifest: Manifest, ppath: FieldPath, port: dict[str, Any], cname: str, names: set[str]
) -> Iterator[Issue]:
    """A port name is an IANA_SVC_NAME, unique within its container; `names` collects them."""
    name = port.get("name")
    if not isinstance(name, str) or not name:
        return
    problem = port_name_problem(name)
    if problem:
        yield Issue(manifest, (*ppath, "name"), f"{cname}: port name {name!r} {problem}")
    elif name in names:
        yield Issue(
            manifest, (*ppath, "name"), f"{cname}: port name {name!r} is used twice; rename one"
        )
    names.add(name)


def _host_port_issues(
    manifest: Manifest,
    ppath: FieldPath,
    port: dict[str, Any],
    cname: str,
    taken: dict[tuple[Any, str, str], str],
) -> Iterator[Issue]:
    """A hostPort in range, used once per pod (protocol and hostIP); `taken` collects them."""
    host = port.get("hostPort")
    if host in (None, 0):
        return
    problem = port_number_problem(host)
    if problem:
        yield Issue(manifest, (*ppath, "hostPort"), f"{cname}: hostPort {host!r} {problem}")
        return
    protocol = str(port.get("protocol") or "TCP")
    key = (host, protocol, str(port.get("hostIP") or ""))
    if key in taken:
        yield Issue(
            manifest,
            (*ppath, "hostPort"),
            f"{cname}: hostPort {host}/{protocol} is already taken by {taken[key]}; use another "
            "hostPort",
        )
    taken[key] = cname


def _env_name_problem(name: str, relaxed: bool) -> str | None:
    if relaxed:
        if _RELAXED_ENV_NAME.fullmatch(name):
            return None
        return "must consist of printable ASCII characters other than '='"
    if _STRICT_ENV_NAME.fullmatch(name):
        return None
    return "must consist of letters, digits, '_', '-' or '.', and not start with a digit"


def _ref_issues(
    view: PodView, path: FieldPath, ref: dict[str, Any], what: str, cname: str
) -> Iterator[Issue]:
    name = ref.get("name")
    if isinstance(name, str) and name and dns_subdomain_problem(name):
        message = f"{cname}: {what} name {name!r} {dns_subdomain_problem(name)}"
        yield Issue(view.manifest, (*path, "name"), message)
    if "key" in ref:
        problem = config_key_problem(ref.get("key"))
        if problem:
            message = f"{cname}: {what} key {ref.get('key')!r} {problem}"
            yield Issue(view.manifest, (*path, "key"), message)


def _duplicate_env_issues(
    view: PodView, cpath: FieldPath, container: dict[str, Any], cname: str
) -> Iterator[Issue]:
    """An env name given twice in one container. The API server stores it (with a warning: the
    later one "hides" the earlier), but refuses it in a server-side apply ("duplicate entries for
    key [name=...]", the env list is keyed by name: Flux, `kubectl apply --server-side`, Argo CD's
    ServerSideApply), and a client-side apply that later removes one drops both (kubernetes
    #58477)."""
    seen: dict[str, int] = {}
    for i, env in items_of(container.get("env")):
        name = env.get("name")
        if not isinstance(name, str) or not name:
            continue
        if name in seen:
            yield Issue(
                view.manifest,
                (*cpath, "env", i, "name"),
                f"{cname}: env var {name} is already set by env[{seen[name]}] (the later one "
                "wins); a server-side apply (Flux, Argo CD's ServerSideApply) refuses the object: "
                "remove one of the two",
            )
        else:
            seen[name] = i


@rule(
    "GB214",
    "invalid-env-var",
    severity="error",
    scope="pod",
    summary="An env var has a bad name, is set twice in a container, has both value and "
    "valueFrom, or not one valueFrom source.",
    remediation="Use a valid name, once per container; set either value or valueFrom with exactly "
    "one source.",
)
def check_env_vars(view: PodView, ctx: Context) -> Iterator[Issue]:
    relaxed = version_tuple(ctx.facts.kubernetes_version) >= RELAXED_ENV_SINCE
    for cpath, container in view.containers():
        cname = str(container.get("name", "?"))
        for i, env in items_of(container.get("env")):
            yield from _env_issues(view, (*cpath, "env", i), env, cname, relaxed)
        yield from _duplicate_env_issues(view, cpath, container, cname)
        for i, source in items_of(container.get("envFrom")):
            kinds = [key for key in ("configMapRef", "secretRef") if source.get(key)]
            if len(kinds) != 1:
                where = (*cpath, "envFrom", i, *kinds[1:2])
                yield Issue(
                    view.manifest,
                    where,
                    f"{cname}: each envFrom entry needs exactly one of configMapRef or secretRef",
                )


def _env_issues(
    view: PodView, epath: FieldPath, env: dict[str, Any], cname: str, relaxed: bool
) -> Iterator[Issue]:
    """One `env` entry: its name, and a valueFrom with exactly one source (and no value)."""
    name = env.get("name")
    if isinstance(name, str) and name:
        problem = _env_name_problem(name, relaxed)
        if problem:
            yield Issue(
                view.manifest, (*epath, "name"), f"{cname}: env var name {name!r} {problem}"
            )
    value_from = env.get("valueFrom")
    if value_from is None:
        return
    if env.get("value"):
        yield Issue(
            view.manifest,
            (*epath, "valueFrom"),
            f"{cname}: env var {name!r} sets both value and valueFrom; keep one",
        )
    sources = [key for key in _VALUE_FROM_SOURCES if as_dict(value_from).get(key)]
    if len(sources) != 1:
        found = ", ".join(sources) or "none"
        yield Issue(
            view.manifest,
            (*epath, "valueFrom"),
            f"{cname}: env var {name!r} valueFrom needs exactly one of fieldRef, "
            f"resourceFieldRef, configMapKeyRef, secretKeyRef (found: {found})",
        )
    for key in ("configMapKeyRef", "secretKeyRef"):
        ref = as_dict(value_from).get(key)
        if isinstance(ref, dict):
            yield from _ref_issues(view, (*epath, "valueFrom", key), ref, key, cname)
