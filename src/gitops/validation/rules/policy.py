"""The project's policy for workloads: resources, probes, images.

Severity, and why:
- GB410 resources (error): without requests the scheduler overcommits nodes; without a memory limit
  one leak takes the node down. CPU limits are not required (they throttle for no gain).
- GB411 readiness probe (error): without one a rollout sends traffic to pods that are not ready.
- GB412 liveness probe (warning): useful for deadlocks, harmful when wrong; a missing one is not
  an outage.
- GB413 image tag (error), GB414 digest where the environment requires it (error): a moving tag
  means what runs is not what was reviewed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, PodView
from gitops.validation.registry import rule
from gitops.validation.rules._util import as_dict

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
