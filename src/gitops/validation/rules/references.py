"""Across one environment: references to objects that do not exist.

ConfigMaps, ServiceAccounts and PVCs must be in the rendered set. A Secret (referenced by a pod,
an Ingress's tls, or a Gateway listener's tls.certificateRefs) must be made by an object of the
set (a SealedSecret, an ExternalSecret, a cert-manager Certificate, a Gateway or Ingress whose
certificates cert-manager issues: `_index`), and a referenced key must be one that object
provides. In a set that is not declared complete (plain-path mode without --complete) an object
that is not in it may exist elsewhere: a missing ConfigMap, Secret, ServiceAccount, PVC, an
Ingress's Service or an HPA's target is only a warning that says it is not among the given files
(`_partial`); a missing key of an object that is in the set stays an error. References marked
`optional: true` are never reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, Manifest
from gitops.validation.registry import rule
from gitops.validation.rules._index import EnvIndex, Reference, index_of
from gitops.validation.rules._partial import NOT_GIVEN, absent
from gitops.validation.rules._util import as_dict, items_of


def _missing(ctx: Context, ref: Reference, what: str, fix: str) -> Issue:
    return absent(
        ctx,
        ref.manifest,
        ref.path,
        f"{what} {ref.name!r} does not exist in namespace {ref.namespace}; {fix}",
        f"{what} {ref.name!r} (namespace {ref.namespace}) is {NOT_GIVEN}; make sure it exists "
        f"in the cluster, or {fix}",
    )


def _once(refs: list[Reference]) -> Iterator[Reference]:
    """Name-level references, one per field (volume items repeat the volume's name field)."""
    seen: set[tuple[int, FieldPath]] = set()
    for ref in refs:
        key = (id(ref.manifest), ref.path)
        if key not in seen:
            seen.add(key)
            yield ref


def _key_issue(ref: Reference, keys: set[str] | tuple[str, ...], source: str) -> Issue | None:
    if ref.key is None or ref.key in keys:
        return None
    known = ", ".join(sorted(keys)) or "none"
    return Issue(
        ref.manifest,
        ref.key_path or ref.path,
        f"{ref.kind} {ref.name!r} has no key {ref.key!r} ({source} lists: {known}); use one of "
        "those keys or add it there",
    )


@rule(
    "GB306",
    "missing-configmap",
    severity="error",
    scope="environment",
    summary="A pod references a ConfigMap (or a key of it) that is not in the environment.",
    remediation="Add the ConfigMap (e.g. a kustomize configMapGenerator) or fix the name/key.",
)
def check_configmap_refs(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    refs = [r for r in index.references if r.kind == "ConfigMap" and not r.optional]
    for ref in _once(refs):
        if (ref.namespace, ref.name) not in index.config_keys:
            yield _missing(ctx, ref, "ConfigMap", "add it, fix the name, or mark it optional: true")
    for ref in refs:
        keys = index.config_keys.get((ref.namespace, ref.name))
        if keys is not None:
            issue = _key_issue(ref, keys, "its data")
            if issue:
                yield issue


def _secret_issues(ctx: Context, index: EnvIndex, ref: Reference) -> Iterator[Issue]:
    provided = index.secret_keys.get((ref.namespace, ref.name), set())
    if (ref.namespace, ref.name) in index.secret_keys:
        if provided is not None:
            issue = _key_issue(ref, provided, "the object that makes it")
            if issue:
                yield issue
    elif ctx.facts.complete:
        where = f"environment {ctx.facts.environment}" if ctx.facts.environment else "this set"
        why = f" ({ref.hint})" if ref.hint else ""
        yield Issue(
            ref.manifest,
            ref.path,
            f"Secret {ref.name!r} is not provided in git for {where}{why}: seal it (`nox -s seal "
            f"-- ENV {ref.name} KEY`), have cert-manager issue it, or fix the name",
        )
    else:
        why = f" ({ref.hint})" if ref.hint else ""
        yield Issue(
            ref.manifest,
            ref.path,
            f"Secret {ref.name!r} is {NOT_GIVEN}{why}; make sure it is created in the cluster "
            "(Sealed Secrets, SOPS, External Secrets, cert-manager or by hand)",
            severity="warning",
        )


@rule(
    "GB307",
    "missing-secret",
    severity="error",
    scope="environment",
    summary="A referenced Secret (or key) is not provided in the environment's manifests.",
    remediation="Seal it (nox -s seal), have cert-manager issue it, or fix the name or key.",
)
def check_secret_refs(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    refs = [r for r in index.references if r.kind == "Secret" and not r.optional]
    refs += list(_ingress_tls_refs(ctx, index))
    reported: set[tuple[int, FieldPath]] = set()
    for ref in refs:
        for issue in _secret_issues(ctx, index, ref):
            key = (id(issue.manifest), issue.path)
            if key not in reported:
                reported.add(key)
                yield issue


def _ingress_tls_refs(ctx: Context, index: EnvIndex) -> Iterator[Reference]:
    for ingress in index_of(ctx).of_kind("Ingress"):
        for i, tls in items_of(ingress.get(("spec", "tls"))):
            name = tls.get("secretName")
            if isinstance(name, str) and name:
                path = ("spec", "tls", i, "secretName")
                yield Reference(ingress, path, "Secret", index.ns(ingress), name)


@rule(
    "GB308",
    "missing-serviceaccount",
    severity="error",
    scope="environment",
    summary="A pod runs as a ServiceAccount that is not in the environment ('default' is fine).",
    remediation="Add the ServiceAccount to the manifests or fix serviceAccountName.",
)
def check_service_account_refs(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for ref in index.references:
        if ref.kind == "ServiceAccount" and not index.find(ref.kind, ref.namespace, ref.name):
            yield _missing(ctx, ref, "ServiceAccount", "add it to the manifests or fix the name")


@rule(
    "GB309",
    "missing-pvc",
    severity="error",
    scope="environment",
    summary="A pod mounts a PersistentVolumeClaim that is not in the environment.",
    remediation="Add the PVC, fix claimName, or use a StatefulSet volumeClaimTemplate.",
)
def check_pvc_refs(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for ref in index.references:
        if ref.kind == "PersistentVolumeClaim" and not index.find(
            ref.kind, ref.namespace, ref.name
        ):
            yield _missing(
                ctx, ref, "PersistentVolumeClaim", "add it to the manifests or fix claimName"
            )


def _service_port_issue(service: Manifest, port: dict[str, Any]) -> str:
    ports = [p for _, p in items_of(service.get(("spec", "ports")))]
    if port.get("name") is not None:
        names = {str(p.get("name")) for p in ports if p.get("name")}
        if str(port["name"]) not in names:
            return f"port name {port['name']!r} (its ports: {', '.join(sorted(names)) or 'none'})"
    elif port.get("number") is not None:
        numbers = {p.get("port") for p in ports if isinstance(p.get("port"), int)}
        if not isinstance(port["number"], int) or port["number"] not in numbers:
            shown = ", ".join(str(n) for n in sorted(n for n in numbers if isinstance(n, int)))
            return f"port {port['number']} (its ports: {shown or 'none'})"
    return ""


@rule(
    "GB310",
    "missing-ingress-backend",
    severity="error",
    scope="environment",
    summary="An Ingress routes to a Service, or a Service port, that does not exist.",
    remediation="Point backend.service at a rendered Service and one of its port names/numbers.",
)
def check_ingress_backends(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for ingress in index_of(ctx).of_kind("Ingress"):
        ns = index.ns(ingress)
        backends: list[tuple[FieldPath, Any]] = []
        if ingress.get(("spec", "defaultBackend")) is not None:
            backends.append((("spec", "defaultBackend"), ingress.get(("spec", "defaultBackend"))))
        for i, rule_ in items_of(ingress.get(("spec", "rules"))):
            for j, entry in items_of(as_dict(rule_.get("http")).get("paths")):
                backends.append((("spec", "rules", i, "http", "paths", j, "backend"),
                                 entry.get("backend")))  # fmt: skip
        for path, backend in backends:
            service_ref = as_dict(as_dict(backend).get("service"))
            name = service_ref.get("name")
            if not isinstance(name, str) or not name:
                continue
            service = index.find("Service", ns, name)
            spath = (*path, "service")
            if service is None:
                yield absent(
                    ctx,
                    ingress,
                    (*spath, "name"),
                    f"Service {name!r} does not exist in namespace {ns}; fix the name or add it",
                    f"Service {name!r} (namespace {ns}) is {NOT_GIVEN}; make sure it exists in "
                    "the cluster, or fix the name or add it",
                )
                continue
            problem = _service_port_issue(service, as_dict(service_ref.get("port")))
            if problem:
                yield Issue(
                    ingress,
                    (*spath, "port"),
                    f"Service {name!r} has no {problem}; use one of its ports",
                )


@rule(
    "GB311",
    "missing-hpa-target",
    severity="error",
    scope="environment",
    summary="A HorizontalPodAutoscaler's scaleTargetRef names no object in the environment.",
    remediation="Point scaleTargetRef at the rendered Deployment/StatefulSet (kind and name).",
)
def check_hpa_targets(ctx: Context) -> Iterator[Issue]:
    index = index_of(ctx)
    for hpa in index_of(ctx).of_kind("HorizontalPodAutoscaler"):
        target = as_dict(hpa.get(("spec", "scaleTargetRef")))
        kind, name = target.get("kind"), target.get("name")
        if not kind or not name:
            continue
        if index.find(str(kind), index.ns(hpa), str(name)) is None:
            yield absent(
                ctx,
                hpa,
                ("spec", "scaleTargetRef", "name"),
                f"scaleTargetRef {kind}/{name} does not exist in namespace {index.ns(hpa)}; "
                "fix kind/name to match the workload",
                f"scaleTargetRef {kind}/{name} (namespace {index.ns(hpa)}) is {NOT_GIVEN}; make "
                "sure it exists in the cluster, or fix kind/name to match the workload",
            )
