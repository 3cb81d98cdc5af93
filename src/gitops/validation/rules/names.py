"""Object metadata the API server refuses: names per kind, label keys and values, annotations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, Manifest
from gitops.validation.registry import rule
from gitops.validation.rules._util import (
    dns1035_label_problem,
    dns_label_problem,
    dns_subdomain_problem,
    label_value_problem,
    path_segment_problem,
    qualified_name_problem,
)

NameCheck = Callable[[str], "str | None"]

# apimachinery's name rules per kind (ValidateObjectMeta's nameFn); everything else, custom
# resources included, must be a DNS-1123 subdomain.
_NAME_RULES: dict[str, tuple[NameCheck, str]] = {
    "Namespace": (dns_label_problem, "a DNS-1123 label"),
    "Service": (dns1035_label_problem, "a DNS-1035 label"),
    "Role": (path_segment_problem, "a path segment"),
    "ClusterRole": (path_segment_problem, "a path segment"),
    "RoleBinding": (path_segment_problem, "a path segment"),
    "ClusterRoleBinding": (path_segment_problem, "a path segment"),
}
_DEFAULT_NAME_RULE: tuple[NameCheck, str] = (dns_subdomain_problem, "a DNS-1123 subdomain")
CRONJOB_NAME_MAX = 52  # the controller appends "-<11 digits>" to name Jobs (≤ 63)
ANNOTATIONS_MAX_BYTES = 256 * 1024


def _suggest(name: str) -> str:
    fixed = "".join(c if c.isalnum() or c in "-." else "-" for c in name.lower()).strip("-.")
    return f" (e.g. {fixed!r})" if fixed and fixed != name else ""


@rule(
    "GB201",
    "invalid-object-name",
    severity="error",
    scope="object",
    summary="metadata.name/generateName/namespace break the kind's naming rule (DNS-1123 etc.).",
    remediation="Rename: lower case letters, digits, '-' (and '.' where a subdomain is allowed).",
)
def check_object_name(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    meta = manifest.metadata
    check, what = _NAME_RULES.get(manifest.kind, _DEFAULT_NAME_RULE)
    name, generate = meta.get("name"), meta.get("generateName")
    if not name and not generate:
        yield Issue(
            manifest,
            ("metadata",),
            f"{manifest.kind} has no metadata.name; give it a name (generateName does not work "
            "with kubectl apply, Argo CD or Flux)",
        )
    if isinstance(name, str) and name:
        problem = check(name)
        if problem:
            message = f"name {name!r} must be {what}: it {problem}{_suggest(name)}"
            yield Issue(manifest, ("metadata", "name"), message)
        elif manifest.kind == "CronJob" and len(name) > CRONJOB_NAME_MAX:
            yield Issue(
                manifest,
                ("metadata", "name"),
                f"CronJob name {name!r} has {len(name)} characters; shorten it to at most "
                f"{CRONJOB_NAME_MAX} (its Jobs are named <name>-<11 digits>)",
            )
    if isinstance(generate, str) and generate:
        problem = check(generate[:-1] + "a" if generate.endswith("-") else generate)
        if problem:
            message = f"generateName {generate!r} must be a prefix of {what}: it {problem}"
            yield Issue(manifest, ("metadata", "generateName"), message)
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and namespace:
        problem = dns_label_problem(namespace)
        if problem:
            message = f"namespace {namespace!r} must be a DNS-1123 label: it {problem}"
            yield Issue(manifest, ("metadata", "namespace"), message)


def label_issues(manifest: Manifest, path: FieldPath, labels: Any) -> Iterator[Issue]:
    if not isinstance(labels, dict):
        return
    for key, value in labels.items():
        problem = qualified_name_problem(str(key))
        if problem:
            yield Issue(manifest, (*path, key), f"label key {key!r} is invalid: {problem}")
        problem = label_value_problem(value)
        if problem:
            yield Issue(manifest, (*path, key), f"label {key}={value!r}: the value {problem}")


def _label_paths(manifest: Manifest) -> Iterator[FieldPath]:
    yield ("metadata", "labels")
    kind = manifest.kind
    if kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}:
        yield ("spec", "template", "metadata", "labels")
    elif kind == "CronJob":
        yield ("spec", "jobTemplate", "metadata", "labels")
        yield ("spec", "jobTemplate", "spec", "template", "metadata", "labels")
    elif kind == "ReplicationController":
        yield ("spec", "template", "metadata", "labels")


@rule(
    "GB202",
    "invalid-label",
    severity="error",
    scope="object",
    summary="A label key is not a qualified name, or a value is not a valid label value.",
    remediation="Keys: [prefix/]name with name ≤ 63 chars; values: ≤ 63 chars of [A-Za-z0-9-_.].",
)
def check_labels(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    for path in _label_paths(manifest):
        yield from label_issues(manifest, path, manifest.get(path))


@rule(
    "GB203",
    "invalid-annotation",
    severity="error",
    scope="object",
    summary="An annotation key is not a qualified name, or all annotations exceed 256 KiB.",
    remediation="Fix the key ([prefix/]name); move large data into a ConfigMap.",
)
def check_annotations(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    paths: list[FieldPath] = [("metadata", "annotations")]
    if manifest.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}:
        paths.append(("spec", "template", "metadata", "annotations"))
    for path in paths:
        annotations = manifest.get(path)
        if not isinstance(annotations, dict):
            continue
        total = 0
        for key, value in annotations.items():
            problem = qualified_name_problem(str(key).lower())
            if problem:
                message = f"annotation key {key!r} is invalid: {problem}"
                yield Issue(manifest, (*path, key), message)
            total += len(str(key).encode()) + len(str(value if value is not None else "").encode())
        if total > ANNOTATIONS_MAX_BYTES:
            yield Issue(
                manifest,
                path,
                f"annotations take {total} bytes, over the 262144-byte (256 KiB) limit; move the "
                "large values into a ConfigMap (kubectl's last-applied annotation counts too: "
                "use server-side apply)",
            )
