"""Probes the API server refuses (handlers, numbers) or that can never pass (unknown port name)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, PodView
from gitops.validation.registry import rule
from gitops.validation.rules._util import int_or_port_name_problem, items_of

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_COUNTS = (
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold",
)


def _probes(view: PodView) -> Iterator[tuple[FieldPath, dict[str, Any], str, dict[str, Any]]]:
    for cpath, container in view.containers():
        for kind in PROBES:
            probe = container.get(kind)
            if isinstance(probe, dict):
                yield (*cpath, kind), container, kind, probe


@rule(
    "GB212",
    "probe-handler",
    severity="error",
    scope="pod",
    summary="A probe has no handler, or more than one of exec/httpGet/tcpSocket/grpc.",
    remediation="Give each probe exactly one handler: exec, httpGet, tcpSocket or grpc.",
)
def check_probe_handlers(view: PodView, ctx: Context) -> Iterator[Issue]:
    for path, container, kind, probe in _probes(view):
        handlers = [h for h in HANDLERS if probe.get(h) is not None]
        cname = container.get("name", "?")
        if not handlers:
            yield Issue(
                view.manifest,
                path,
                f"{cname}: {kind} has no handler; add one of httpGet, tcpSocket, exec or grpc",
            )
        elif len(handlers) > 1:
            yield Issue(
                view.manifest,
                (*path, handlers[1]),
                f"{cname}: {kind} has {len(handlers)} handlers ({', '.join(handlers)}); "
                "keep exactly one",
            )


def _port_issues(
    view: PodView, path: FieldPath, container: dict[str, Any], kind: str, probe: dict[str, Any]
) -> Iterator[Issue]:
    cname = container.get("name", "?")
    declared = {
        p["name"] for _, p in items_of(container.get("ports")) if isinstance(p.get("name"), str)
    }
    for handler in ("httpGet", "tcpSocket", "grpc"):
        action = probe.get(handler)
        if not isinstance(action, dict) or "port" not in action:
            continue
        port = action["port"]
        problem = int_or_port_name_problem(port)
        if handler == "grpc" and isinstance(port, str):
            problem = "must be a number for grpc probes"
        ppath = (*path, handler, "port")
        if problem:
            yield Issue(view.manifest, ppath, f"{cname}: {kind} port {port!r} {problem}")
        elif isinstance(port, str) and not port.isdigit() and port not in declared:
            names = ", ".join(sorted(declared)) or "none"
            yield Issue(
                view.manifest,
                ppath,
                f"{cname}: {kind} uses port name {port!r}, which the container does not declare "
                f"(its port names: {names}); the probe would always fail: use a declared name "
                "or a number",
            )


@rule(
    "GB213",
    "probe-settings",
    severity="error",
    scope="pod",
    summary="Probe numbers out of range, successThreshold != 1 on liveness/startup, bad port.",
    remediation="Use non-negative timings, successThreshold 1 for liveness/startup, a real port.",
)
def check_probe_settings(view: PodView, ctx: Context) -> Iterator[Issue]:
    for path, container, kind, probe in _probes(view):
        cname = container.get("name", "?")
        if path[-3] == "initContainers" and container.get("restartPolicy") != "Always":
            yield Issue(
                view.manifest,
                path,
                f"{cname}: init containers cannot have a {kind} unless they are sidecars "
                "(restartPolicy: Always); remove the probe",
            )
            continue
        for field in _COUNTS:
            value = probe.get(field)
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                message = f"{cname}: {kind}.{field} is {value}; it must be 0 or more"
                yield Issue(view.manifest, (*path, field), message)
        success = probe.get("successThreshold")
        if kind != "readinessProbe" and success not in (None, 0, 1):
            yield Issue(
                view.manifest,
                (*path, "successThreshold"),
                f"{cname}: {kind}.successThreshold must be 1 (got {success}); remove it or set 1",
            )
        grace = probe.get("terminationGracePeriodSeconds")
        if isinstance(grace, int) and grace <= 0:
            yield Issue(
                view.manifest,
                (*path, "terminationGracePeriodSeconds"),
                f"{cname}: {kind}.terminationGracePeriodSeconds must be positive (got {grace})",
            )
        yield from _port_issues(view, path, container, kind, probe)
