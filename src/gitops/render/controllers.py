"""One description of a Helm-installed component, rendered for each controller.

What the infrastructure layer installs (Sealed Secrets, cert-manager, the Gateway implementation,
metrics-server, and the CRDs some of them need from git) is described once, as Flux describes it:
a HelmRelease and its source (a HelmRepository, or an OCIRepository pinned by tag), or a
Kustomization of a GitRepository pinned by tag. Flux applies those as they are. For Argo CD each
HelmRelease becomes an Application with a Helm source (the same chart, version and values), and
each Kustomization an Application with a git source (the same repository, tag and path), so the
two controllers cannot drift. A layer listed in `perController` of apps/layers.yaml is rendered
both ways, into `<layer>/flux/` and `<layer>/argocd/`.

Argo CD's Helm source takes a chart repository URL (`repoURL` + `chart`) pinned by version, or
an OCI chart as its OCI source (the chart's repository, path ".") pinned by the same tag or
digest as the OCIRepository.

Every Application rendered here belongs to the environment's AppProject `<env>-charts`
(bootstrap/argocd/<env>/projects.yaml): only these charts' and CRDs' own repositories, only the
kinds they install. Never `default`, which Argo CD creates allowing everything (GB505).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from gitops.errors import ConfigError

FLUX_SOURCES = "source.toolkit.fluxcd.io"
FLUX_HELM = "helm.toolkit.fluxcd.io"
FLUX_KUSTOMIZE = "kustomize.toolkit.fluxcd.io"
SKIP_CRDS = "Skip"
ARGOCD_NAMESPACE = "argocd"
IN_CLUSTER = "https://kubernetes.default.svc"
CONTROLLERS = ("flux", "argocd")
CHARTS_PROJECT = "{env}-charts"

Obj = dict[str, Any]


def for_controller(objects: Iterable[Obj], controller: str, shown: str, *, env: str) -> list[Obj]:
    """The objects of a per-controller layer as `controller` ("flux" or "argocd") applies them in
    environment `env`."""
    objects = list(objects)
    project = CHARTS_PROJECT.format(env=env)
    if controller == "flux":
        return objects
    sources = {
        (obj["kind"], _namespace(obj), obj["metadata"]["name"]): obj
        for obj in objects
        if _group(obj) == FLUX_SOURCES
    }
    converted = []
    for obj in objects:
        if _group(obj) == FLUX_SOURCES:
            continue  # Argo CD reads the chart from the Application's own source
        if _group(obj) == FLUX_HELM and obj.get("kind") == "HelmRelease":
            converted.append(application(obj, sources, shown, project))
        elif _group(obj) == FLUX_KUSTOMIZE and obj.get("kind") == "Kustomization":
            converted.append(git_application(obj, sources, shown, project))
        else:
            converted.append(obj)
    return converted


def application(
    release: Obj, sources: Mapping[tuple[str, str, str], Obj], shown: str, project: str
) -> Obj:
    """The Argo CD Application (of `project`) that installs what `release` (a Flux HelmRelease)
    installs."""
    spec = release.get("spec") or {}
    name = str(release["metadata"]["name"])
    namespace = str(spec.get("targetNamespace") or _namespace(release))
    if spec.get("valuesFrom"):
        raise ConfigError(
            f"HelmRelease {name}: valuesFrom has no Argo CD equivalent here; put the values in "
            "spec.values",
            path=shown,
        )
    source = _chart(release, sources, shown)
    helm: Obj = {"releaseName": str(spec.get("releaseName") or name)}
    if spec.get("values"):
        helm["valuesObject"] = copy.deepcopy(spec["values"])
    if (spec.get("install") or {}).get("crds") == SKIP_CRDS:
        helm["skipCrds"] = True
    return _application(release, {**source, "helm": helm}, namespace, project)


def git_application(
    kustomization: Obj, sources: Mapping[tuple[str, str, str], Obj], shown: str, project: str
) -> Obj:
    """The Argo CD Application (of `project`) that applies what `kustomization` (a Flux
    Kustomization of a GitRepository) applies: the same repository, revision and path."""
    spec = kustomization.get("spec") or {}
    name = str(kustomization["metadata"]["name"])
    repository = _source(
        sources,
        spec.get("sourceRef") or {},
        _namespace(kustomization),
        f"Kustomization {name}",
        shown,
    )
    source_spec = repository.get("spec") or {}
    ref = source_spec.get("ref") or {}
    revision = ref.get("tag") or ref.get("commit") or ref.get("semver")
    if not revision:
        raise ConfigError(
            f"GitRepository {repository['metadata']['name']}: pin it by ref.tag or ref.commit "
            "(Argo CD takes the same revision)",
            path=shown,
        )
    # Without targetNamespace Flux leaves every object's namespace as written, so the Application
    # has no destination namespace to create either.
    namespace = str(spec.get("targetNamespace") or "")
    source = {
        "repoURL": str(source_spec.get("url", "")),
        "targetRevision": str(revision),
        "path": str(spec.get("path", ".")).removeprefix("./") or ".",
    }
    prune = spec.get("prune") is not False
    return _application(kustomization, source, namespace, project, prune=prune)


def _application(
    described: Obj, source: Obj, namespace: str, project: str, *, prune: bool = True
) -> Obj:
    """An Application of `project` with `source`, synced into `namespace` of this cluster (if
    any), named and labelled like the Flux object that `described` it, pruning only where that
    object does."""
    metadata: Obj = {"name": str(described["metadata"]["name"]), "namespace": ARGOCD_NAMESPACE}
    labels = (described.get("metadata") or {}).get("labels")
    if labels:
        metadata["labels"] = copy.deepcopy(labels)
    destination: Obj = {"server": IN_CLUSTER}
    # Server-side apply: the CRDs of Gateway API and cert-manager are too large for the
    # annotation client-side apply keeps.
    options = ["ServerSideApply=true"]
    if namespace:
        destination["namespace"] = namespace
        options.insert(0, "CreateNamespace=true")
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": metadata,
        "spec": {
            "project": project,
            "source": source,
            "destination": destination,
            "syncPolicy": {
                "automated": {"prune": prune, "selfHeal": True},
                "syncOptions": options,
                "retry": {
                    "limit": 10,
                    "backoff": {"duration": "30s", "factor": 2, "maxDuration": "5m"},
                },
            },
        },
    }


def _chart(release: Obj, sources: Mapping[tuple[str, str, str], Obj], shown: str) -> Obj:
    """The Argo CD source of a HelmRelease's chart, from its chart template or its chartRef.

    A chart in an OCI registry becomes Argo CD's OCI source (Argo CD 3.1 and later: `oci://`
    repoURL naming the chart's repository, path ".", targetRevision a tag or a digest; see
    argo-cd docs/user-guide/oci.md), which needs no repository Secret for a public registry.
    """
    spec = release.get("spec") or {}
    name = release["metadata"]["name"]
    template = (spec.get("chart") or {}).get("spec")
    if isinstance(template, Mapping):
        ref = template.get("sourceRef") or {}
        source = _source(sources, ref, _namespace(release), f"HelmRelease {name}", shown)
        url = str((source.get("spec") or {}).get("url", ""))
        version = template.get("version")
        if not version or any(c in str(version) for c in "*^~><| x"):
            raise ConfigError(
                f"HelmRelease {name}: chart version {version!r} must be one exact version",
                path=shown,
            )
        chart = str(template["chart"])
        if url.startswith("oci://"):
            return {
                "repoURL": f"{url.rstrip('/')}/{chart}",
                "path": ".",
                "targetRevision": str(version),
            }
        return {"repoURL": url, "chart": chart, "targetRevision": str(version)}
    ref = spec.get("chartRef")
    if not isinstance(ref, Mapping) or ref.get("kind") != "OCIRepository":
        raise ConfigError(
            f"HelmRelease {name} needs spec.chart.spec or a chartRef to an OCIRepository",
            path=shown,
        )
    source = _source(sources, ref, _namespace(release), f"HelmRelease {name}", shown)
    source_spec = source.get("spec") or {}
    pin = source_spec.get("ref") or {}
    revision = pin.get("digest") or pin.get("tag")
    if not revision:
        raise ConfigError(
            f"OCIRepository {source['metadata']['name']}: pin the chart by ref.tag or "
            "ref.digest (Argo CD takes the same revision)",
            path=shown,
        )
    return {
        "repoURL": str(source_spec.get("url", "")),
        "path": ".",
        "targetRevision": str(revision),
    }


def _source(
    sources: Mapping[tuple[str, str, str], Obj],
    ref: Mapping[str, Any],
    default_namespace: str,
    owner: str,
    shown: str,
) -> Obj:
    key = (
        str(ref.get("kind")),
        str(ref.get("namespace") or default_namespace),
        str(ref.get("name")),
    )
    found = sources.get(key)
    if found is None:
        raise ConfigError(
            f"{owner}: its source {key[0]} {key[1]}/{key[2]} is not in the same "
            "layer; describe both in the same app",
            path=shown,
        )
    return found


def _group(obj: Obj) -> str:
    return str(obj.get("apiVersion", "")).rpartition("/")[0]


def _namespace(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")
