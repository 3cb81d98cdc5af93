"""The project's policy for workloads: resources, probes, images.

Severity, and why:
- GB410 resources (error): without requests the scheduler overcommits nodes; without a memory limit
  one leak takes the node down. CPU limits are not required (they throttle for no gain).
- GB411 readiness probe (error): without one a rollout sends traffic to pods that are not ready.
- GB412 liveness probe (warning): useful for deadlocks, harmful when wrong; a missing one is not
  an outage.
- GB413 image tag (error), GB414 digest where the environment requires it (error): a moving tag
  means what runs is not what was reviewed.
- GB427 probe on an undeclared port (warning): the kubelet probes the number whether it is
  declared or not, so the probe may work; but an undeclared port is one no Service or
  NetworkPolicy can name, and a wrong number fails only at run time. A named UDP/SCTP port probed
  by httpGet/tcpSocket/grpc (TCP) fails unless the process listens on TCP too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, PodView
from gitops.validation.registry import rule
from gitops.validation.rules._util import as_dict, items_of

LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController")


def _workload_containers(view: PodView) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """Containers and init containers (ephemeral ones are debugging tools, not workloads)."""
    for cpath, container in view.containers():
        if cpath[-2] != "ephemeralContainers":
            yield cpath, container


@rule(
    "GB410",
    "resources",
    severity="error",
    scope="pod",
    summary="A container lacks cpu/memory requests or a memory limit (init containers included).",
    remediation="Set resources.requests.cpu, resources.requests.memory, resources.limits.memory.",
)
def check_resources(view: PodView, ctx: Context) -> Iterator[Issue]:
    for cpath, container in _workload_containers(view):
        resources = as_dict(container.get("resources"))
        requests, limits = as_dict(resources.get("requests")), as_dict(resources.get("limits"))
        missing = [f"requests.{r}" for r in ("cpu", "memory") if r not in requests]
        if "memory" not in limits:
            missing.append("limits.memory")
        if missing:
            yield Issue(
                view.manifest,
                (*cpath, "resources") if resources else cpath,
                f"{container.get('name', '?')}: set resources {', '.join(missing)} (e.g. "
                "requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi})",
            )


def _probe_issue(view: PodView, kind: str, what: str) -> Iterator[Issue]:
    for cpath, container in view.containers(init=False):
        if not as_dict(container.get(kind)):
            yield Issue(
                view.manifest,
                cpath,
                f"{container.get('name', '?')}: add a {kind} ({what})",
            )


@rule(
    "GB411",
    "readiness-probe",
    severity="error",
    scope="pod",
    summary="A long-running container has no readinessProbe.",
    remediation="Add readinessProbe (e.g. httpGet on a /readyz endpoint).",
    kinds=LONG_RUNNING,
)
def check_readiness_probe(view: PodView, ctx: Context) -> Iterator[Issue]:
    yield from _probe_issue(view, "readinessProbe", "so that traffic waits until it is ready")


@rule(
    "GB412",
    "liveness-probe",
    severity="warning",
    scope="pod",
    summary="A long-running container has no livenessProbe.",
    remediation="Add livenessProbe (e.g. httpGet on a /healthz endpoint that checks the process).",
    kinds=LONG_RUNNING,
)
def check_liveness_probe(view: PodView, ctx: Context) -> Iterator[Issue]:
    yield from _probe_issue(view, "livenessProbe", "so that a hung process gets restarted")


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest or None


def _images(view: PodView) -> Iterator[tuple[FieldPath, str, str]]:
    for cpath, container in view.containers():
        image = container.get("image")
        if isinstance(image, str) and image:
            yield (*cpath, "image"), str(container.get("name", "?")), image


@rule(
    "GB413",
    "image-tag",
    severity="error",
    scope="pod",
    summary="An image has no tag or uses 'latest' (and no digest).",
    remediation="Pin a version tag (e.g. :1.4.2) or a digest (@sha256:...).",
)
def check_image_tag(view: PodView, ctx: Context) -> Iterator[Issue]:
    for path, cname, image in _images(view):
        _, tag, digest = split_image(image)
        if digest:
            continue
        if tag is None:
            message = f"{cname}: image {image!r} has no tag (so it means :latest); pin a version"
            yield Issue(view.manifest, path, message)
        elif tag == "latest":
            message = f"{cname}: image {image!r} uses :latest; pin a version tag or a digest"
            yield Issue(view.manifest, path, message)


@rule(
    "GB414",
    "image-digest",
    severity="error",
    scope="pod",
    summary="The environment requires digests (image.requireDigest) and an image has none.",
    remediation="Pin the image by digest: nox -s bump/promote write name:tag@sha256:<digest>.",
)
def check_image_digest(view: PodView, ctx: Context) -> Iterator[Issue]:
    if not ctx.facts.require_digest:
        return
    for path, cname, image in _images(view):
        if split_image(image)[2] is None:
            where = f"environment {ctx.facts.environment}" if ctx.facts.environment else "it"
            yield Issue(
                view.manifest,
                path,
                f"{cname}: image {image!r} has no digest but {where} requires one; pin it as "
                "repository:tag@sha256:<digest> (nox -s promote does)",
            )


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _tcp_ports(container: dict[str, Any]) -> tuple[set[int], dict[str, str]]:
    """The TCP port numbers a container declares, and the protocol of each port name."""
    numbers: set[int] = set()
    names: dict[str, str] = {}
    for _, port in items_of(container.get("ports")):
        protocol = str(port.get("protocol") or "TCP")
        number = port.get("containerPort")
        if protocol == "TCP" and isinstance(number, int) and not isinstance(number, bool):
            numbers.add(number)
        if isinstance(port.get("name"), str):
            names[port["name"]] = protocol
    return numbers, names


def _probe_port_problem(port: Any, numbers: set[int], names: dict[str, str]) -> str | None:
    """Why a probe's port is not a TCP port the container declares (None: it is, or the port
    is malformed or an unknown name, which GB213 reports)."""
    if isinstance(port, str) and not port.isdigit():
        protocol = names.get(port)
        if protocol is not None and protocol != "TCP":
            return (
                f"port {port!r}, which the container declares as {protocol}, over TCP: it fails "
                "unless the process listens on TCP there too; probe a TCP port (or use exec)"
            )
        return None
    number = int(port) if isinstance(port, str) else port
    if isinstance(number, int) and not isinstance(number, bool) and number not in numbers:
        return (
            f"port {number}, which the container does not declare; declare it under ports with "
            "a name (e.g. http) and probe that name, so Services and NetworkPolicies can name it "
            "and a wrong number shows here, not at run time"
        )
    return None


@rule(
    "GB427",
    "probe-port-undeclared",
    severity="warning",
    scope="pod",
    summary="A probe checks a port number the container does not declare (or a named UDP/SCTP "
    "port).",
    remediation="Declare the port under the container's ports (named, e.g. http) and probe it by "
    "name.",
)
def check_probe_ports(view: PodView, ctx: Context) -> Iterator[Issue]:
    for cpath, container in view.containers():
        numbers, names = _tcp_ports(container)
        for kind in _PROBES:
            probe = as_dict(container.get(kind))
            for handler in ("httpGet", "tcpSocket", "grpc"):
                action = probe.get(handler)
                if not isinstance(action, dict) or "port" not in action:
                    continue
                problem = _probe_port_problem(action["port"], numbers, names)
                if problem:
                    yield Issue(
                        view.manifest,
                        (*cpath, kind, handler, "port"),
                        f"{container.get('name', '?')}: {kind} checks {problem}",
                    )
