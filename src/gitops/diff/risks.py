"""Changes a reviewer must not miss, flagged at the top of each environment's diff.

- A change to a field the API server refuses to update (a Job's template, a StatefulSet's
  volumeClaimTemplates or selector, a Deployment's selector, ...): the controller can only apply
  it by deleting and re-creating the object, which it does only where the object says so.
- The removal of an object that holds data (PersistentVolumeClaim, StatefulSet, Namespace):
  pruning deletes it, unless the object opts out of pruning.
- A change of `spec.replicas` on a workload an HPA scales: the HPA owns that number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ObjectKey = tuple[str, str, str]

IMMUTABLE: Mapping[str, tuple[str, ...]] = {
    "Deployment": ("spec.selector",),
    "ReplicaSet": ("spec.selector",),
    "DaemonSet": ("spec.selector",),
    "Job": ("spec.selector", "spec.template", "spec.completionMode"),
    "Service": ("spec.clusterIP", "spec.clusterIPs"),
    "PersistentVolumeClaim": ("spec.accessModes", "spec.storageClassName", "spec.volumeName"),
}
"""Fields the API server refuses to change (each kind's ValidateXUpdate in kubernetes/pkg)."""
STATEFULSET_MUTABLE = (
    "spec.replicas",
    "spec.ordinals",
    "spec.template",
    "spec.updateStrategy",
    "spec.persistentVolumeClaimRetentionPolicy",
    "spec.minReadySeconds",
)
"""The only StatefulSet spec fields an update may change (apps validation's error message)."""
HOLDS_DATA = {
    "PersistentVolumeClaim": "its volume (and the data on it, unless the PV is retained)",
    "StatefulSet": "its pods (its claims stay unless its retention policy deletes them)",
    "Namespace": "every object in it",
}
FLUX_FORCE = "kustomize.toolkit.fluxcd.io/force"
FLUX_PRUNE = "kustomize.toolkit.fluxcd.io/prune"
ARGO_SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
ARGO_HOOK_DELETE = "argocd.argoproj.io/hook-delete-policy"


def immutable_changes(kind: str, paths: Iterable[str]) -> list[str]:
    """The changed `paths` that `kind` cannot change in place."""
    if kind == "StatefulSet":
        return [
            path
            for path in paths
            if path.startswith("spec.") and not any(_under(path, m) for m in STATEFULSET_MUTABLE)
        ]
    return [path for path in paths if any(_under(path, p) for p in IMMUTABLE.get(kind, ()))]


def changed_object_risks(
    ref: str, kind: str, new: Any, paths: list[str], owners: Mapping[str, str]
) -> list[str]:
    """Risks of one changed object, from its changed field `paths` (images included): immutable
    fields, replicas an HPA owns (`owners` maps a workload's ref to the HPA that scales it)."""
    found = []
    fixed = immutable_changes(kind, paths)
    if fixed and not _recreated(new):
        found.append(
            f"{ref}: {', '.join(fixed[:3])} cannot change in place (the API server refuses "
            "the update); it applies only by deleting and re-creating the object: Flux does "
            f"with `{FLUX_FORCE}: enabled`, Argo CD with `{ARGO_SYNC_OPTIONS}: Replace=true` "
            f"({_recreation_state(new)})"
        )
    if ref in owners and any(_under(path, "spec.replicas") for path in paths):
        found.append(
            f"{ref}: spec.replicas changed, but {owners[ref]} owns the replicas: every sync "
            "resets them to this value until the HPA scales again; drop spec.replicas"
        )
    return found


def removed_object_risk(ref: str, kind: str, old: Any) -> str | None:
    """The risk of removing one object: what pruning deletes with it."""
    if kind not in HOLDS_DATA:
        return None
    annotations = _annotations(old)
    kept = annotations.get(FLUX_PRUNE) == "disabled" and "Prune=false" in annotations.get(
        ARGO_SYNC_OPTIONS, ""
    )
    if kept:
        return None
    return (
        f"{ref} is removed: pruning deletes it and {HOLDS_DATA[kind]}; to keep it in the cluster, "
        f"annotate it `{FLUX_PRUNE}: disabled` and `{ARGO_SYNC_OPTIONS}: Prune=false` first"
    )


def hpa_owners(objects: Mapping[ObjectKey, Any], ref_of: Mapping[ObjectKey, str]) -> dict[str, str]:
    """{workload ref: HPA ref} for each HorizontalPodAutoscaler among `objects`."""
    owners = {}
    for key, data in objects.items():
        if key[0] != "HorizontalPodAutoscaler" or not isinstance(data, dict):
            continue
        target = (data.get("spec") or {}).get("scaleTargetRef") or {}
        target_key = (str(target.get("kind")), key[1], str(target.get("name")))
        if target_key in ref_of:
            owners[ref_of[target_key]] = ref_of[key]
    return owners


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))


def _annotations(data: Any) -> dict[str, str]:
    metadata = data.get("metadata") if isinstance(data, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    return {str(k): str(v) for k, v in annotations.items()} if isinstance(annotations, dict) else {}


def _flux_recreates(annotations: Mapping[str, str]) -> bool:
    return annotations.get(FLUX_FORCE) == "enabled"


def _argo_recreates(annotations: Mapping[str, str]) -> bool:
    options = annotations.get(ARGO_SYNC_OPTIONS, "")
    return "Replace=true" in options or "BeforeHookCreation" in annotations.get(
        ARGO_HOOK_DELETE, ""
    )


def _recreated(data: Any) -> bool:
    annotations = _annotations(data)
    return _flux_recreates(annotations) and _argo_recreates(annotations)


def _recreation_state(data: Any) -> str:
    annotations = _annotations(data)
    flux = "set" if _flux_recreates(annotations) else "missing"
    argo = "set" if _argo_recreates(annotations) else "missing"
    return f"Flux's annotation {flux}, Argo CD's {argo}"
