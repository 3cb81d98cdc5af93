"""Label selectors the API server refuses: malformed, missing, or not matching their template."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, Manifest
from gitops.validation.registry import rule
from gitops.validation.rules._util import (
    SELECTOR_OPERATORS,
    as_dict,
    describe_labels,
    describe_selector,
    is_empty_selector,
    label_value_problem,
    map_selector_matches,
    qualified_name_problem,
    selector_matches,
)

_APPS_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})
_TEMPLATE_LABELS: FieldPath = ("spec", "template", "metadata", "labels")


def _label_selector_paths(manifest: Manifest) -> Iterator[FieldPath]:
    kind = manifest.kind
    if kind in _APPS_KINDS or kind in {"Job", "PodDisruptionBudget"}:
        yield ("spec", "selector")
    elif kind == "CronJob":
        yield ("spec", "jobTemplate", "spec", "selector")
    elif kind == "NetworkPolicy":
        yield ("spec", "podSelector")


def selector_syntax_issues(manifest: Manifest, path: FieldPath, selector: Any) -> Iterator[Issue]:
    """metav1 ValidateLabelSelector: keys, values and operators of one LabelSelector."""
    if not isinstance(selector, dict):
        return
    for key, value in as_dict(selector.get("matchLabels")).items():
        problem = qualified_name_problem(str(key))
        if problem:
            yield Issue(manifest, (*path, "matchLabels", key), f"key {key!r}: {problem}")
        problem = label_value_problem(value)
        if problem:
            yield Issue(manifest, (*path, "matchLabels", key), f"{key}={value!r}: {problem}")
    expressions = selector.get("matchExpressions")
    for i, expr in enumerate(expressions if isinstance(expressions, list) else []):
        if isinstance(expr, dict):
            yield from _expression_issues(manifest, (*path, "matchExpressions", i), expr)


def _expression_issues(
    manifest: Manifest, epath: FieldPath, expr: dict[str, Any]
) -> Iterator[Issue]:
    """One matchExpressions entry: a qualified key, a known operator, values as it requires."""
    expr_key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
    problem = qualified_name_problem(str(expr_key or ""))
    if problem:
        yield Issue(manifest, (*epath, "key"), f"key {expr_key!r}: {problem}")
    if not isinstance(op, str) or op not in SELECTOR_OPERATORS:
        yield Issue(
            manifest,
            (*epath, "operator"),
            f"operator {op!r} is not one of In, NotIn, Exists, DoesNotExist",
        )
    elif op in {"In", "NotIn"} and not values:
        yield Issue(manifest, epath, f"operator {op} needs a non-empty values list")
    elif op in {"Exists", "DoesNotExist"} and values:
        yield Issue(manifest, (*epath, "values"), f"operator {op} takes no values; remove them")
    for j, value in enumerate(values if isinstance(values, list) else []):
        problem = label_value_problem(value)
        if problem:
            yield Issue(manifest, (*epath, "values", j), f"value {value!r}: {problem}")


@rule(
    "GB205",
    "invalid-selector",
    severity="error",
    scope="object",
    summary="A label selector is missing or empty where required, or is malformed.",
    remediation="Give workloads a non-empty spec.selector.matchLabels; use valid keys/operators.",
)
def check_selector_syntax(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    if manifest.kind in _APPS_KINDS:
        selector = manifest.get(("spec", "selector"))
        if selector is None or is_empty_selector(selector):
            labels = manifest.get(_TEMPLATE_LABELS) or {}
            hint = describe_labels(labels) if labels else "app: <name>"
            yield Issue(
                manifest,
                ("spec", "selector") if selector is not None else ("spec",),
                f"{manifest.kind} needs a non-empty spec.selector; add matchLabels matching the "
                f"template's labels ({hint})",
            )
    for path in _label_selector_paths(manifest):
        yield from selector_syntax_issues(manifest, path, manifest.get(path))
    if manifest.kind == "Service":
        selector = manifest.get(("spec", "selector"))
        for key, value in as_dict(selector).items():
            problem = qualified_name_problem(str(key)) or label_value_problem(value)
            if problem:
                yield Issue(manifest, ("spec", "selector", key), f"{key}={value!r}: {problem}")


def _job_selector_issue(manifest: Manifest, spec_path: FieldPath) -> Iterator[Issue]:
    spec = as_dict(manifest.get(spec_path))
    selector = spec.get("selector")
    manual = spec.get("manualSelector") is True
    if spec_path[1:2] == ("jobTemplate",):
        if selector is not None or manual:
            yield Issue(
                manifest,
                (*spec_path, "selector" if selector is not None else "manualSelector"),
                "a CronJob's job template gets its selector generated; remove "
                "jobTemplate.spec.selector and manualSelector",
            )
        return
    if selector is not None and not manual:
        yield Issue(
            manifest,
            (*spec_path, "selector"),
            "the API server generates a Job's selector; remove spec.selector, or set "
            "spec.manualSelector: true if you really manage it yourself",
        )
    if manual:
        if selector is None:
            yield Issue(manifest, spec_path, "manualSelector: true needs a spec.selector")
        else:
            yield from _template_match_issue(manifest, selector)


def _template_match_issue(manifest: Manifest, selector: Any) -> Iterator[Issue]:
    if not isinstance(selector, dict) or is_empty_selector(selector):
        return
    labels = manifest.get(_TEMPLATE_LABELS)
    labels = labels if isinstance(labels, dict) else {}
    if not selector_matches(selector, labels):
        yield Issue(
            manifest,
            _TEMPLATE_LABELS,
            f"selector ({describe_selector(selector)}) does not match the pod template's labels "
            f"({describe_labels(labels)}); add the selector's labels to "
            "spec.template.metadata.labels (a workload's selector cannot change once created)",
        )


@rule(
    "GB204",
    "selector-template-mismatch",
    severity="error",
    scope="object",
    summary="A workload's selector does not select its own pod template (or a Job sets one).",
    remediation="Make spec.template.metadata.labels carry every label the selector requires.",
    kinds=[
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "Job",
        "CronJob",
    ],
)
def check_selector_matches_template(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    kind = manifest.kind
    if kind in _APPS_KINDS:
        yield from _template_match_issue(manifest, manifest.get(("spec", "selector")))
    elif kind == "ReplicationController":
        selector = manifest.get(("spec", "selector"))
        labels = as_dict(manifest.get(_TEMPLATE_LABELS))
        if isinstance(selector, dict) and selector and not map_selector_matches(selector, labels):
            yield Issue(
                manifest,
                _TEMPLATE_LABELS,
                f"selector ({describe_labels(selector)}) does not match the template's labels "
                f"({describe_labels(labels)}); make the template carry the selector's labels",
            )
    elif kind == "Job":
        yield from _job_selector_issue(manifest, ("spec",))
    elif kind == "CronJob":
        yield from _job_selector_issue(manifest, ("spec", "jobTemplate", "spec"))
