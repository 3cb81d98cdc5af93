"""Resource quantities: Kubernetes' quantity grammar, requests versus limits, resource names.

The grammar is apimachinery's `resource.ParseQuantity`:
  <signedNumber><suffix>, suffix one of Ki Mi Gi Ti Pi Ei | m "" k M G T P E | e<int> E<int>.
Values are compared as exact fractions, so "500m" < "1" and "1Gi" > "1G" hold without rounding.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

from gitops.validation.model import (
    POD_SPEC_PATHS,
    Context,
    FieldPath,
    Issue,
    Manifest,
    PodView,
    pod_view,
)
from gitops.validation.registry import rule
from gitops.validation.rules._util import as_dict, items_of

_QUANTITY = re.compile(
    r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?"
)
_MULTIPLIERS: dict[str, Fraction] = {
    "": Fraction(1),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}
_STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
QUANTITY_HINT = "write a number with an optional suffix, e.g. 250m, 0.5, 128Mi, 1Gi"


def parse_quantity(value: Any) -> Fraction | None:
    """The quantity's exact value, or None when the API server would reject it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))
    return _parse_quantity_text(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=4096)
def _parse_quantity_text(value: str) -> Fraction | None:
    found = _QUANTITY.fullmatch(value)
    if found is None:
        return None
    amount, suffix = Fraction(found.group(1)), found.group(2) or ""
    if suffix in _MULTIPLIERS:
        return amount * _MULTIPLIERS[suffix]
    exponent = int(suffix[1:])
    if abs(exponent) > 1000:  # guard against pathological exponents (e.g. 1e99999999)
        return None
    return amount * Fraction(10) ** exponent


def _resource_blocks(view: PodView) -> Iterator[tuple[FieldPath, str, dict[str, Any]]]:
    for cpath, container in view.containers():
        resources = as_dict(container.get("resources"))
        for block in ("requests", "limits"):
            values = resources.get(block)
            if isinstance(values, dict):
                yield (*cpath, "resources", block), str(container.get("name", "?")), values


def _claim_storage(manifest: Manifest) -> Iterator[tuple[FieldPath, Any]]:
    """(path, value) of storage requests/limits in a PVC or a StatefulSet's claim templates."""
    specs: list[tuple[FieldPath, Any]] = []
    if manifest.kind == "PersistentVolumeClaim":
        specs.append((("spec",), manifest.get(("spec",))))
    elif manifest.kind == "StatefulSet":
        for i, template in items_of(manifest.get(("spec", "volumeClaimTemplates"))):
            specs.append((("spec", "volumeClaimTemplates", i, "spec"), template.get("spec")))
    for path, spec in specs:
        resources = as_dict(as_dict(spec).get("resources"))
        for block in ("requests", "limits"):
            for resource, value in as_dict(resources.get(block)).items():
                yield (*path, "resources", block, resource), value


def quantity_issues(manifest: Manifest, path: FieldPath, value: Any, who: str) -> Iterator[Issue]:
    parsed = parse_quantity(value)
    if parsed is None:
        yield Issue(manifest, path, f"{who}{path[-1]} {value!r} is not a quantity: {QUANTITY_HINT}")
    elif parsed < 0:
        yield Issue(manifest, path, f"{who}{path[-1]} {value!r} must not be negative")


@rule(
    "GB209",
    "invalid-quantity",
    severity="error",
    scope="object",
    summary="A resource quantity (requests, limits, sizeLimit, storage) does not parse or is < 0.",
    remediation=f"Fix the value: {QUANTITY_HINT}.",
    kinds=[*POD_SPEC_PATHS, "PersistentVolumeClaim"],
)
def check_quantities(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    view = pod_view(manifest)
    if view is not None:
        for path, cname, values in _resource_blocks(view):
            for resource, value in values.items():
                yield from quantity_issues(manifest, (*path, resource), value, f"{cname}: ")
        for i, volume in items_of(view.spec.get("volumes")):
            size = as_dict(volume.get("emptyDir")).get("sizeLimit")
            if size is not None:
                path = (*view.path, "volumes", i, "emptyDir", "sizeLimit")
                yield from quantity_issues(manifest, path, size, "")
    for path, value in _claim_storage(manifest):
        yield from quantity_issues(manifest, path, value, "")


@rule(
    "GB210",
    "requests-above-limits",
    severity="error",
    scope="pod",
    summary="A container requests more of a resource than its limit allows.",
    remediation="Lower the request or raise the limit so that request <= limit.",
)
def check_requests_within_limits(view: PodView, ctx: Context) -> Iterator[Issue]:
    for cpath, container in view.containers():
        resources = as_dict(container.get("resources"))
        requests, limits = as_dict(resources.get("requests")), as_dict(resources.get("limits"))
        for resource, requested in requests.items():
            if resource not in limits:
                continue
            want, cap = parse_quantity(requested), parse_quantity(limits[resource])
            if want is None or cap is None or want <= cap:
                continue
            yield Issue(
                view.manifest,
                (*cpath, "resources", "requests", resource),
                f"{container.get('name', '?')}: {resource} request {requested} is above its limit "
                f"{limits[resource]}; lower the request to at most {limits[resource]} "
                "or raise the limit",
            )


def resource_name_problem(resource: str) -> str | None:
    if resource in _STANDARD_CONTAINER_RESOURCES or resource.startswith("hugepages-"):
        return None
    if "/" in resource:
        prefix = resource.split("/", 1)[0]
        if prefix == "kubernetes.io" or prefix.endswith(".kubernetes.io"):
            return "is not a resource Kubernetes defines"
        return None  # an extended resource such as nvidia.com/gpu
    close = [name for name in _STANDARD_CONTAINER_RESOURCES if name[:2] == resource[:2].lower()]
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"is not a standard container resource: use cpu, memory, ephemeral-storage{hint}"


@rule(
    "GB211",
    "invalid-resource-name",
    severity="error",
    scope="pod",
    summary="A container's requests/limits name a resource that does not exist (e.g. 'memroy').",
    remediation="Use cpu, memory, ephemeral-storage, hugepages-<size> or a domain/resource name.",
)
def check_resource_names(view: PodView, ctx: Context) -> Iterator[Issue]:
    for path, cname, values in _resource_blocks(view):
        for resource in values:
            problem = resource_name_problem(str(resource))
            if problem:
                yield Issue(view.manifest, (*path, resource), f"{cname}: {resource!r} {problem}")
