"""What each rendered object needs, and what each folder provides: kinds' CRDs (from the charts
and git paths the folder installs), namespaces, Secrets and their keys, Gateways, issuers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any, NamedTuple

import yaml

from gitops.render.controllers import FLUX_HELM, FLUX_KUSTOMIZE
from gitops.validation.crds.store import origins
from gitops.validation.model import FieldPath, Manifest
from gitops.validation.rules._index import EnvIndex
from gitops.validation.rules._util import as_dict, as_list, items_of, namespace_of

RULE = "GB504"
SHOWN = {"flux": "Flux", "argocd": "Argo CD"}
ALWAYS_THERE = frozenset({"default", "kube-system", "kube-public", "flux-system", "argocd"})
GATEWAY_API, CERT_MANAGER = "gateway.networking.k8s.io", "cert-manager.io"
ROUTES = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
ISSUER_ANNOTATIONS = {
    "cert-manager.io/cluster-issuer": "ClusterIssuer",
    "cert-manager.io/issuer": "Issuer",
}
WAVE = "argocd.argoproj.io/sync-wave"
Key = tuple[str, ...]


class ChartCrds(NamedTuple):
    """A chart's CRDs: the catalog's under `path` of `repository`, and the `extra` groups."""

    repository: str
    path: str
    switches: tuple[str, ...] = ()  # values (dotted) that install them: any one true
    default: bool = True  # installed when no switch is set
    folder: bool = True  # in crds/: Flux `install.crds: Skip` and Argo CD `helm.skipCrds` drop them
    extra: tuple[str, ...] = ()


# The charts that install CRDs (.research/infra.md, sections 1 and 3). A git path (a Flux
# Kustomization or an Argo CD git Application) needs no entry: `groups_under` reads the catalog.
CHART_CRDS: Mapping[str, ChartCrds] = {
    # 1.1: helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml, in the chart's crds/.
    "sealed-secrets": ChartCrds("bitnami-labs/sealed-secrets", "helm/sealed-secrets"),
    # 1.2: templates behind crds.enabled (or the deprecated installCRDs), off by default; 3: the
    # same specs as deploy/crds/, where the CRD catalog has them.
    "cert-manager": ChartCrds(
        "cert-manager/cert-manager", "deploy/crds", ("crds.enabled", "installCRDs"), False, False
    ),
    # 1.3: the crds/ of subchart `crds` (condition crds.enabled, on by default): the Envoy Gateway
    # CRDs (charts/gateway-helm/charts/crds/crds/generated) and the Gateway API ones.
    "gateway-helm": ChartCrds(
        "envoyproxy/gateway", "charts/gateway-helm", ("crds.enabled",), extra=(GATEWAY_API,)
    ),
}


@lru_cache(maxsize=1)
def vendored_crds() -> tuple[tuple[str, str, str], ...]:
    """(repository, path, API group) of each upstream file of the CRD catalog (its index)."""
    return origins()


def groups_under(repository: str, path: str) -> set[str]:
    """The API groups of the vendored CRDs under `path` of `repository` ("owner/name")."""
    folder = PurePosixPath(path.strip("/") or ".").as_posix()
    return {
        group
        for repo, file, group in vendored_crds()
        if repo == repository and (folder == "." or file.startswith(folder + "/"))
    }


def repository_of(url: str) -> str:
    """`owner/name` of a repository URL (https://github.com/owner/name.git)."""
    return "/".join(url.strip().removesuffix("/").removesuffix(".git").split("/")[-2:])


def chart_groups(chart: str, values: Mapping[str, Any], skip_crds: bool) -> set[str]:
    """The API groups whose CRDs `chart` (a name, path or OCI URL) installs with `values`."""
    known = CHART_CRDS.get(PurePosixPath(chart).name)
    if known is None or (skip_crds and known.folder):
        return set()
    given = [v for path in known.switches if (v := _value(values, path)) is not None]
    if not (any(v is True for v in given) if given else known.default):
        return set()
    return groups_under(known.repository, known.path) | set(known.extra)


def _value(values: Mapping[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


Sources = Mapping[tuple[str, str, str], Manifest]  # Flux sources by (kind, namespace, name)


def provided(manifests: list[Manifest], index: EnvIndex, sources: Sources) -> set[Key]:
    """What one folder provides: CRDs (objects, charts, git paths), Namespaces, Gateways,
    issuers, and Secrets with their keys (`build_index`'s providers)."""
    keys = {key for m in manifests for key in _provides(m, sources)}
    for (ns, name), secret in index.secret_keys.items():
        keys.update(("Secret", f"{ns}/{name}", key) for key in (*(secret or ("*",)), ""))
    return keys


def _provides(m: Manifest, sources: Sources) -> Iterable[Key]:
    spec = as_dict(m.obj.get("spec"))
    if m.kind == "CustomResourceDefinition":
        return [("crd", f"{as_dict(spec.get('names')).get('kind')}.{spec.get('group')}")]
    if m.kind == "Namespace" or (m.group, m.kind) == (CERT_MANAGER, "ClusterIssuer"):
        return [(m.kind, m.name)]
    if (m.group, m.kind) in ((GATEWAY_API, "Gateway"), (CERT_MANAGER, "Issuer")):
        return [(m.kind, f"{namespace_of(m, None)}/{m.name}")]
    installer = _INSTALLERS.get((m.group, m.kind))
    return installer(m, spec, sources) if installer else []


def _kustomization(m: Manifest, spec: dict[str, Any], sources: Sources) -> Iterator[Key]:
    source = _source(m, spec.get("sourceRef"), sources)
    if source is not None and source.kind == "GitRepository":
        url, path = str(source.get(("spec", "url"), "")), str(spec.get("path") or ".")
        yield from (("crd", group) for group in groups_under(repository_of(url), path))


def _source(m: Manifest, ref: Any, sources: Sources) -> Manifest | None:
    ref = as_dict(ref)
    return sources.get((str(ref.get("kind")), ref.get("namespace") or m.namespace, ref.get("name")))


def _helm_release(m: Manifest, spec: dict[str, Any], sources: Sources) -> Iterator[Key]:
    install = as_dict(spec.get("install"))
    chart = m.get(("spec", "chart", "spec", "chart"))
    if not chart and (source := _source(m, spec.get("chartRef"), sources)):
        chart = source.get(("spec", "url"))
    values = as_dict(spec.get("values"))
    for group in chart_groups(str(chart or ""), values, install.get("crds") == "Skip"):
        yield "crd", group
    if install.get("createNamespace") is True:
        yield "Namespace", str(spec.get("targetNamespace") or m.namespace)


def _application(_: Manifest, spec: dict[str, Any], __: Sources) -> Iterator[Key]:
    for source in map(as_dict, [spec.get("source"), *as_list(spec.get("sources"))]):
        helm = as_dict(source.get("helm"))
        url = str(source.get("repoURL") or "")
        # A Helm source names its chart; an OCI source (oci://) is the chart's own repository.
        chart = source.get("chart") or (url if url.startswith("oci://") else "")
        if chart:
            values = helm.get("valuesObject") or yaml.safe_load(str(helm.get("values") or ""))
            skip = helm.get("skipCrds") is True
            groups = chart_groups(str(chart), as_dict(values), skip)
        else:
            repository = repository_of(url)
            groups = groups_under(repository, str(source.get("path") or "."))
        yield from (("crd", group) for group in groups)
    if "CreateNamespace=true" in as_list(as_dict(spec.get("syncPolicy")).get("syncOptions")):
        yield "Namespace", str(as_dict(spec.get("destination")).get("namespace") or "")


_INSTALLERS = {
    (FLUX_HELM, "HelmRelease"): _helm_release,
    (FLUX_KUSTOMIZE, "Kustomization"): _kustomization,
    ("argoproj.io", "Application"): _application,
}


class Need(NamedTuple):
    """What `manifest` needs at `path` (`what`, for the message): any one of `keys`."""

    manifest: Manifest
    path: FieldPath
    what: str
    keys: tuple[Key, ...]


def needs(manifests: list[Manifest], index: EnvIndex) -> Iterator[Need]:
    """What the objects of one folder need from the cluster (see the module doc)."""
    for m in manifests:
        if "." in m.group and m.kind != "CustomResourceDefinition":
            kind, keys = f"{m.kind}.{m.group}", (("crd", f"{m.kind}.{m.group}"), ("crd", m.group))
            yield Need(m, ("apiVersion",), f"the CustomResourceDefinition of {kind}", keys)
        if m.namespace and m.namespace not in ALWAYS_THERE:
            yield _need(m, ("metadata", "namespace"), "Namespace", m.namespace)
        yield from _NEEDS.get((m.group, m.kind), _issuer_annotations)(m)
    for ref in index.references:
        if ref.kind == "Secret" and not ref.optional:
            path = ref.key_path if ref.key and ref.key_path else ref.path
            yield _need(ref.manifest, path, "Secret", f"{ref.namespace}/{ref.name}", ref.key)


def _need(m: Manifest, path: FieldPath, kind: str, name: str, key: str | None = None) -> Need:
    if kind != "Secret":
        return Need(m, path, f"{kind} {name}", ((kind, name),))
    if key is None:
        return Need(m, path, f"Secret {name}", ((kind, name, ""),))
    return Need(m, path, f"key {key!r} of Secret {name}", ((kind, name, key), (kind, name, "*")))


def _refers(ref: dict[str, Any], kind: str, group: str) -> bool:
    named = bool(ref.get("name"))
    return named and (ref.get("kind") or kind) == kind and (ref.get("group") or group) == group


def _route(m: Manifest) -> Iterator[Need]:
    for i, ref in items_of(m.get(("spec", "parentRefs"))):
        if _refers(ref, "Gateway", GATEWAY_API):
            gateway = f"{ref.get('namespace') or namespace_of(m, None)}/{ref['name']}"
            yield _need(m, ("spec", "parentRefs", i, "name"), "Gateway", gateway)


def _gateway(m: Manifest) -> Iterator[Need]:
    yield from _issuer_annotations(m)
    for i, listener in items_of(m.get(("spec", "listeners"))):
        for j, ref in items_of(as_dict(listener.get("tls")).get("certificateRefs")):
            if _refers(ref, "Secret", ""):
                secret = f"{ref.get('namespace') or namespace_of(m, None)}/{ref['name']}"
                path = ("spec", "listeners", i, "tls", "certificateRefs", j, "name")
                yield _need(m, path, "Secret", secret)


def _certificate(m: Manifest) -> Iterator[Need]:
    ref = as_dict(m.get(("spec", "issuerRef")))
    kind = str(ref.get("kind") or "Issuer")
    if kind in ("Issuer", "ClusterIssuer") and _refers(ref, kind, CERT_MANAGER):
        yield _issuer(m, ("spec", "issuerRef", "name"), kind, str(ref["name"]))


def _issuer_annotations(m: Manifest) -> Iterator[Need]:
    annotations = as_dict(m.metadata.get("annotations"))
    for annotation, kind in ISSUER_ANNOTATIONS.items():
        if annotations.get(annotation):
            path = ("metadata", "annotations", annotation)
            yield _issuer(m, path, kind, str(annotations[annotation]))


def _issuer(m: Manifest, path: FieldPath, kind: str, name: str) -> Need:
    scoped = name if kind == "ClusterIssuer" else f"{namespace_of(m, None)}/{name}"
    return _need(m, path, kind, scoped)


_NEEDS = {(GATEWAY_API, kind): _route for kind in ROUTES} | {
    (GATEWAY_API, "Gateway"): _gateway,
    (CERT_MANAGER, "Certificate"): _certificate,
}
