"""The project's policy for the environment as a whole: secrets in git, required kinds, drains,
service account tokens, namespace labels, autoscaled replicas.

Severity, and why:
- GB415 plaintext Secret (error): anything committed is public forever.
- GB416 required kinds (error): the facts file says this environment must have them.
- GB417 PDB blocking drains, GB418 token automount, GB419 namespace without a Pod Security label,
  GB420 replicas under an HPA (warnings): each is usually a mistake, but a deliberate choice is
  possible and suppressible.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, Issue, Manifest, PodView
from gitops.validation.registry import rule
from gitops.validation.rules._index import index_of
from gitops.validation.rules._util import as_dict, percent_or_int

PSS_ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"


def _is_sops_encrypted(manifest: Manifest) -> bool:
    values = [*as_dict(manifest.obj.get("data")).values(),
              *as_dict(manifest.obj.get("stringData")).values()]  # fmt: skip
    return "sops" in manifest.obj and all(str(v).startswith("ENC[") for v in values)


@rule(
    "GB415",
    "secret-in-git",
    severity="error",
    scope="object",
    summary="A Secret object carries data or stringData in git (plaintext, base64 is no cipher).",
    remediation="Remove it; use Sealed Secrets, SOPS, External Secrets, or create it by hand and "
    "declare it under secrets: in environment.yaml.",
    kinds=["Secret"],
)
def check_secret_in_git(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    if _is_sops_encrypted(manifest):
        return
    for key in ("data", "stringData"):
        if manifest.obj.get(key):
            yield Issue(
                manifest,
                (key,),
                f"Secret {manifest.name!r} has {key} in git; delete the object (and rotate the "
                "values), then provide it with Sealed Secrets, SOPS or External Secrets, or "
                "create it by hand and declare it under secrets: in environment.yaml",
            )


@rule(
    "GB416",
    "required-kind-missing",
    severity="error",
    scope="environment",
    summary="A kind the environment's facts list under requiredKinds is not rendered.",
    remediation="Add the object to the environment's overlay (or the base).",
)
def check_required_kinds(ctx: Context) -> Iterator[Issue]:
    present = index_of(ctx).by_kind.keys()
    where = f"environment {ctx.facts.environment}" if ctx.facts.environment else "this environment"
    for kind in ctx.facts.required_kinds:
        if kind not in present:
            yield Issue(
                None,
                ("requiredKinds",),
                f"{where} requires a {kind} (requiredKinds) but none is rendered; add one to "
                "its overlay",
            )


def _replicas(manifest: Manifest, hpa_min: dict[tuple[str, str, str], int], ns: str) -> int:
    floor = hpa_min.get((manifest.kind, ns, manifest.name))
    if floor is not None:
        return floor
    replicas = manifest.get(("spec", "replicas"), 1)
    return replicas if isinstance(replicas, int) else 1


def _hpa_floors(ctx: Context) -> dict[tuple[str, str, str], int]:
    index = index_of(ctx)
    floors = {}
    for hpa in index_of(ctx).of_kind("HorizontalPodAutoscaler"):
        target = as_dict(hpa.get(("spec", "scaleTargetRef")))
        low = hpa.get(("spec", "minReplicas"), 1)
        floors[(str(target.get("kind")), index.ns(hpa), str(target.get("name")))] = (
            low if isinstance(low, int) else 1
        )
    return floors


def _min_available_blocks(value: Any, replicas: int) -> str | None:
    """How to fix a minAvailable that leaves no pod of `replicas` evictable, None if some is.

    The disruption controller rounds a percentage up (GetScaledValueFromIntOrPercent with
    roundUp in pkg/controller/disruption): 90% of 3 pods is 3."""
    number, percent = percent_or_int(value)
    if number is None or replicas < 1:
        return None
    needed = math.ceil(number * replicas / 100) if percent else number
    if needed < replicas:
        return None
    if percent and number >= 100:
        return "lower minAvailable below 100% or use maxUnavailable: 1 instead"
    if percent:
        enough = next(
            r for r in range(replicas + 1, replicas + 101) if math.ceil(number * r / 100) < r
        )
        return f"run at least {enough} replicas, or lower minAvailable (or use maxUnavailable: 1)"
    return (
        f"run at least {number + 1} replicas, or lower minAvailable below {replicas} (or use "
        "maxUnavailable: 1)"
    )


@rule(
    "GB417",
    "pdb-blocks-drain",
    severity="warning",
    scope="environment",
    summary="A PodDisruptionBudget allows no voluntary eviction (maxUnavailable 0, or "
    "minAvailable >= the replicas it protects): node drains hang.",
    remediation="Use maxUnavailable: 1 (or more), or a minAvailable below the replica count.",
)
def check_pdb_blocks_drain(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    floors = _hpa_floors(ctx)
    for pdb in index_of(ctx).of_kind("PodDisruptionBudget"):
        spec = as_dict(pdb.get(("spec",)))
        if "minAvailable" not in spec and "maxUnavailable" in spec:
            number, _ = percent_or_int(spec["maxUnavailable"])
            if number == 0:
                yield Issue(
                    pdb,
                    ("spec", "maxUnavailable"),
                    f"maxUnavailable {spec['maxUnavailable']} allows no voluntary eviction of "
                    "any pod it selects, however many replicas run: every node drain (and "
                    "cluster upgrade) hangs until someone deletes the PDB; use maxUnavailable: 1 "
                    "(or more), or minAvailable below the replica count",
                )
            continue
        selector = pdb.get(("spec", "selector"))
        if "minAvailable" not in spec or not isinstance(selector, dict):
            continue
        ns = index.ns(pdb)
        for view in index.pods_matching(ns, selector):
            workload = view.manifest
            if workload.kind not in {"Deployment", "StatefulSet", "ReplicaSet"}:
                continue
            replicas = _replicas(workload, floors, ns)
            fix = _min_available_blocks(spec["minAvailable"], replicas)
            if fix:
                yield Issue(
                    pdb,
                    ("spec", "minAvailable"),
                    f"{workload.ref} runs {replicas} replica(s) and this PDB requires "
                    f"minAvailable {spec['minAvailable']}: no pod can be evicted, so node drains "
                    f"hang; {fix}",
                )


def _sa_disables_token(ctx: Context, view: PodView) -> bool:
    index = index_of(ctx)
    name = view.spec.get("serviceAccountName") or "default"
    account = index.find("ServiceAccount", index.ns(view.manifest), str(name))
    return account is not None and account.obj.get("automountServiceAccountToken") is False


@rule(
    "GB418",
    "automount-service-account-token",
    severity="warning",
    scope="pod",
    summary="Pods get an API token mounted (automountServiceAccountToken is not false).",
    remediation="Set automountServiceAccountToken: false on the pod (or its ServiceAccount) "
    "unless it calls the Kubernetes API.",
)
def check_automount_token(view: PodView, ctx: Context) -> Iterator[Issue]:
    value = view.spec.get("automountServiceAccountToken")
    if value is False or (value is None and _sa_disables_token(ctx, view)):
        return
    key = (*view.path, "automountServiceAccountToken")
    yield Issue(
        view.manifest,
        key if value is not None else view.path,
        "the pod gets a Kubernetes API token it probably does not need; set "
        "automountServiceAccountToken: false (or suppress this if it calls the API)",
    )


@rule(
    "GB419",
    "namespace-pod-security-label",
    severity="warning",
    scope="object",
    summary="A Namespace has no pod-security.kubernetes.io/enforce label.",
    remediation="Label it pod-security.kubernetes.io/enforce: restricted.",
    kinds=["Namespace"],
)
def check_namespace_label(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    labels = as_dict(manifest.metadata.get("labels"))
    if PSS_ENFORCE_LABEL not in labels:
        yield Issue(
            manifest,
            ("metadata", "labels") if labels else ("metadata",),
            f"add the label {PSS_ENFORCE_LABEL}: restricted so the cluster enforces the Pod "
            "Security Standard on this namespace",
        )


@rule(
    "GB420",
    "replicas-with-autoscaler",
    severity="warning",
    scope="environment",
    summary="A workload scaled by an HPA also sets spec.replicas, which every sync resets.",
    remediation="Remove spec.replicas from workloads an HPA scales.",
)
def check_replicas_with_hpa(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for kind, ns, name in _hpa_floors(ctx):
        workload = index.find(kind, ns, name)
        if workload is not None and workload.get(("spec", "replicas")) is not None:
            yield Issue(
                workload,
                ("spec", "replicas"),
                f"an HorizontalPodAutoscaler scales {workload.ref}, but spec.replicas is set: "
                "Argo CD/Flux reset it on every sync and fight the HPA; remove spec.replicas",
            )
