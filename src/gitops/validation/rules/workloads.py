"""Workload specs the API server refuses: restart policy, rollout strategy, PDB and HPA specs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, Manifest, PodView
from gitops.validation.registry import rule
from gitops.validation.rules._util import as_dict, items_of, percent_or_int
from gitops.validation.rules.quantities import parse_quantity

_ALWAYS_ONLY = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}
)


@rule(
    "GB217",
    "invalid-restart-policy",
    severity="error",
    scope="pod",
    summary="Jobs need restartPolicy OnFailure or Never; Deployments and the like only Always.",
    remediation="Jobs/CronJobs: set restartPolicy: Never (or OnFailure); elsewhere remove it.",
    kinds=["Job", "CronJob", *_ALWAYS_ONLY],
)
def check_restart_policy(view: PodView, ctx: Context) -> Iterator[Issue]:
    policy = view.spec.get("restartPolicy")
    path = (*view.path, "restartPolicy")
    if view.manifest.kind in {"Job", "CronJob"}:
        if policy not in ("OnFailure", "Never"):
            shown = "missing (defaults to Always)" if policy is None else repr(policy)
            message = f"a Job's pods need restartPolicy Never or OnFailure; it is {shown}"
            yield Issue(view.manifest, path if policy is not None else view.path, message)
    elif policy not in (None, "Always"):
        yield Issue(
            view.manifest,
            path,
            f"a {view.manifest.kind} only supports restartPolicy Always (got {policy!r}); remove "
            "it, or use a Job for run-to-completion work",
        )


def _int_or_percent_issues(
    manifest: Manifest, path: FieldPath, value: Any, what: str, cap_percent: bool
) -> Iterator[Issue]:
    number, percent = percent_or_int(value)
    if number is None:
        message = f"{what} {value!r} must be a non-negative integer or a percentage like '25%'"
        yield Issue(manifest, path, message)
    elif number < 0:
        yield Issue(manifest, path, f"{what} {value!r} must not be negative")
    elif percent and cap_percent and number > 100:
        yield Issue(manifest, path, f"{what} {value!r} must not be above 100%")


def _is_zero(value: Any) -> bool:
    number, _ = percent_or_int(value)
    return number == 0


_STRATEGY_TYPES = {
    "Deployment": ("strategy", ("RollingUpdate", "Recreate")),
    "DaemonSet": ("updateStrategy", ("RollingUpdate", "OnDelete")),
    "StatefulSet": ("updateStrategy", ("RollingUpdate", "OnDelete")),
}
"""The strategy types the API server takes: kubernetes pkg/apis/apps/validation/validation.go
(read at 2dd1588c490775be7cd90d0afc59c6dcef07032a) refuses any other, ValidateDeploymentStrategy
and ValidateDaemonSetUpdateStrategy as NotSupported, ValidateStatefulSetSpec as Invalid; an empty
or missing type is defaulted to RollingUpdate before (pkg/apis/apps/v1/defaults.go)."""


def _strategy_type_issues(manifest: Manifest) -> Iterator[Issue]:
    key, allowed = _STRATEGY_TYPES[manifest.kind]
    kind = manifest.get(("spec", key, "type"))
    if kind in (None, "") or kind in allowed:
        return
    yield Issue(
        manifest,
        ("spec", key, "type"),
        f"{key}.type {kind!r} is not supported: a {manifest.kind} takes {' or '.join(allowed)} "
        f"(unset means RollingUpdate); use one of those",
    )


def _deployment_issues(manifest: Manifest) -> Iterator[Issue]:
    strategy = as_dict(manifest.get(("spec", "strategy")))
    rolling = strategy.get("rollingUpdate")
    base = ("spec", "strategy", "rollingUpdate")
    if strategy.get("type") == "Recreate" and rolling is not None:
        message = "rollingUpdate may not be set when strategy type is Recreate; remove it"
        yield Issue(manifest, base, message)
    elif isinstance(rolling, dict):
        surge, unavailable = rolling.get("maxSurge", "25%"), rolling.get("maxUnavailable", "25%")
        for key, value in (("maxSurge", surge), ("maxUnavailable", unavailable)):
            if key in rolling:
                cap = key == "maxUnavailable"
                yield from _int_or_percent_issues(manifest, (*base, key), value, key, cap)
        if _is_zero(surge) and _is_zero(unavailable):
            yield Issue(
                manifest,
                (*base, "maxUnavailable"),
                "maxUnavailable and maxSurge are both 0, so a rollout can never progress; set "
                "maxSurge to 1 (or 25%)",
            )
    deadline, ready = (
        manifest.get(("spec", "progressDeadlineSeconds")),
        manifest.get(("spec", "minReadySeconds")),
    )
    if isinstance(deadline, int) and isinstance(ready, int) and deadline <= ready:
        yield Issue(
            manifest,
            ("spec", "progressDeadlineSeconds"),
            f"progressDeadlineSeconds ({deadline}) must be greater than minReadySeconds ({ready})",
        )


def _daemonset_issues(manifest: Manifest) -> Iterator[Issue]:
    base = ("spec", "updateStrategy", "rollingUpdate")
    rolling = manifest.get(base)
    if not isinstance(rolling, dict):
        return
    surge, unavailable = rolling.get("maxSurge", 0), rolling.get("maxUnavailable", 1)
    for key in ("maxSurge", "maxUnavailable"):
        if key in rolling:
            cap = key == "maxUnavailable"
            yield from _int_or_percent_issues(manifest, (*base, key), rolling[key], key, cap)
    if _is_zero(surge) and _is_zero(unavailable):
        yield Issue(
            manifest,
            (*base, "maxUnavailable"),
            "maxUnavailable and maxSurge are both 0 (maxSurge defaults to 0), so the DaemonSet "
            "can never update; set maxUnavailable to 1 or maxSurge to 1",
        )


def _statefulset_issues(manifest: Manifest) -> Iterator[Issue]:
    strategy = as_dict(manifest.get(("spec", "updateStrategy")))
    if strategy.get("type") == "OnDelete" and strategy.get("rollingUpdate") is not None:
        yield Issue(
            manifest,
            ("spec", "updateStrategy", "rollingUpdate"),
            "rollingUpdate is only allowed with updateStrategy type RollingUpdate; remove it",
        )
    partition = as_dict(strategy.get("rollingUpdate")).get("partition")
    if isinstance(partition, int) and partition < 0:
        message = f"partition must not be negative (got {partition})"
        yield Issue(manifest, ("spec", "updateStrategy", "rollingUpdate", "partition"), message)


@rule(
    "GB218",
    "invalid-rollout",
    severity="error",
    scope="object",
    summary="Replicas < 0 or a rollout strategy the API server refuses (an unknown strategy "
    "type, maxSurge and maxUnavailable both 0...).",
    remediation="Use a supported strategy type; allow at least one of maxSurge/maxUnavailable; "
    "drop rollingUpdate for Recreate.",
    kinds=["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"],
)
def check_rollout(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    replicas = manifest.get(("spec", "replicas"))
    if isinstance(replicas, int) and replicas < 0:
        message = f"replicas must not be negative (got {replicas})"
        yield Issue(manifest, ("spec", "replicas"), message)
    if manifest.kind in _STRATEGY_TYPES:
        yield from _strategy_type_issues(manifest)
    if manifest.kind == "Deployment":
        yield from _deployment_issues(manifest)
    elif manifest.kind == "DaemonSet":
        yield from _daemonset_issues(manifest)
    elif manifest.kind == "StatefulSet":
        yield from _statefulset_issues(manifest)


@rule(
    "GB219",
    "invalid-disruption-budget",
    severity="error",
    scope="object",
    summary="A PodDisruptionBudget sets both minAvailable and maxUnavailable, or a bad value.",
    remediation="Set exactly one of minAvailable or maxUnavailable (an integer or 'N%' ≤ 100%).",
    kinds=["PodDisruptionBudget"],
)
def check_pdb(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    spec = as_dict(manifest.get(("spec",)))
    if "minAvailable" in spec and "maxUnavailable" in spec:
        yield Issue(
            manifest,
            ("spec", "maxUnavailable"),
            "minAvailable and maxUnavailable cannot both be set; keep one",
        )
    for key in ("minAvailable", "maxUnavailable"):
        if key in spec:
            yield from _int_or_percent_issues(manifest, ("spec", key), spec[key], key, True)


_METRIC_SOURCES = {
    "Resource": "resource",
    "Pods": "pods",
    "Object": "object",
    "External": "external",
    "ContainerResource": "containerResource",
}
_TARGET_FIELDS = {
    "Utilization": "averageUtilization",
    "Value": "value",
    "AverageValue": "averageValue",
}


def _metric_issues(manifest: Manifest, path: FieldPath, metric: dict[str, Any]) -> Iterator[Issue]:
    kind = metric.get("type")
    source_key = _METRIC_SOURCES.get(str(kind))
    if source_key is None:
        return  # the schema's enum
    source = metric.get(source_key)
    present = [key for key in _METRIC_SOURCES.values() if metric.get(key) is not None]
    if not isinstance(source, dict) or present != [source_key]:
        message = f"a metric of type {kind} needs exactly its '{source_key}' block"
        yield Issue(manifest, path, message)
        return
    target = as_dict(source.get("target"))
    target_type = target.get("type")
    field = _TARGET_FIELDS.get(str(target_type))
    tpath = (*path, source_key, "target")
    if field is None:
        return
    if kind in ("Resource", "ContainerResource") and target_type == "Value":
        message = "resource metrics take target type Utilization or AverageValue, not Value"
        yield Issue(manifest, (*tpath, "type"), message)
    value = target.get(field)
    if value is None:
        yield Issue(manifest, tpath, f"target type {target_type} needs target.{field}")
    elif field == "averageUtilization":
        if not isinstance(value, int) or value <= 0:
            message = f"averageUtilization must be a positive percentage (got {value!r})"
            yield Issue(manifest, (*tpath, field), message)
    else:
        quantity = parse_quantity(value)
        if quantity is None or quantity <= 0:
            message = f"target.{field} {value!r} must be a positive quantity such as 100m or 1k"
            yield Issue(manifest, (*tpath, field), message)


@rule(
    "GB220",
    "invalid-autoscaler",
    severity="error",
    scope="object",
    summary="HPA with minReplicas < 1, maxReplicas < minReplicas, or a malformed metric target.",
    remediation="Keep 1 <= minReplicas <= maxReplicas; give each metric target the matching value.",
    kinds=["HorizontalPodAutoscaler"],
)
def check_hpa(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    spec = as_dict(manifest.get(("spec",)))
    low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
    if isinstance(low, int) and low < 1:
        message = f"minReplicas must be at least 1 (got {low})"
        yield Issue(manifest, ("spec", "minReplicas"), message)
    if isinstance(high, int):
        if high < 1:
            message = f"maxReplicas must be at least 1 (got {high})"
            yield Issue(manifest, ("spec", "maxReplicas"), message)
        elif isinstance(low, int) and high < low:
            yield Issue(
                manifest,
                ("spec", "maxReplicas"),
                f"maxReplicas ({high}) is below minReplicas ({low}); raise maxReplicas to at "
                f"least {low}",
            )
    for i, metric in items_of(spec.get("metrics")):
        yield from _metric_issues(manifest, ("spec", "metrics", i), metric)
