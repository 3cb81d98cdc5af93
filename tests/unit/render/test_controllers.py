"""One description of the controllers, two renders (`render.controllers`): Flux gets the
HelmReleases, Kustomizations and their sources as they are; Argo CD gets one Application per
HelmRelease (the same chart, version and values) and per Kustomization (the same repository,
tag and path), and what cannot be carried over is refused with a message naming the object."""

from __future__ import annotations

from typing import Any

import pytest

from gitops.errors import ConfigError
from gitops.render.controllers import for_controller

SHOWN = "apps/infrastructure/overlays/dev"
Obj = dict[str, Any]


def _by_name(objects: list[Obj]) -> dict[tuple[str, str], Obj]:
    return {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}


def _argocd(objects: list[Obj]) -> list[Obj]:
    """The objects as Argo CD gets them in environment dev."""
    return for_controller(objects, "argocd", SHOWN, env="dev")


def _find(objects: list[Obj], kind: str, name: str) -> Obj:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def test_flux_gets_the_objects_as_they_are(flux_controllers: list[Obj]) -> None:
    assert for_controller(flux_controllers, "flux", SHOWN, env="dev") == flux_controllers


def test_argo_cd_gets_an_application_per_release_and_kustomization(
    flux_controllers: list[Obj],
) -> None:
    converted = _argocd(flux_controllers)
    assert sorted(_by_name(converted)) == [
        ("Application", "crds"),
        ("Application", "ctl"),
        ("Application", "gateway"),
        ("Namespace", "ctl-system"),
    ]
    assert _find(converted, "Namespace", "ctl-system") == flux_controllers[0]


def test_a_helm_release_of_a_helm_repository(flux_controllers: list[Obj]) -> None:
    application = _find(_argocd(flux_controllers), "Application", "ctl")
    assert application["apiVersion"] == "argoproj.io/v1alpha1"
    assert application["metadata"] == {
        "name": "ctl",
        "namespace": "argocd",
        "labels": {"app.kubernetes.io/component": "controllers"},
    }
    spec = application["spec"]
    assert spec["project"] == "dev-charts"  # bootstrap/argocd/dev/projects.yaml
    assert spec["source"] == {
        "repoURL": "https://charts.example.com",
        "chart": "ctl-chart",
        "targetRevision": "1.2.3",
        "helm": {"releaseName": "ctl-release", "valuesObject": {"replicas": 2}},
    }
    assert spec["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": "ctl-system",
    }
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "ServerSideApply=true" in spec["syncPolicy"]["syncOptions"]
    assert "CreateNamespace=true" in spec["syncPolicy"]["syncOptions"]
    assert spec["syncPolicy"]["retry"]["limit"] > 0


def test_a_helm_release_of_an_oci_repository(flux_controllers: list[Obj]) -> None:
    """Argo CD's OCI source: the chart's repository with oci://, path ".", the same pin as Flux's
    (the digest over the tag); it needs no repository Secret for a public registry, unlike a Helm
    source with enableOCI."""
    converted = _argocd(flux_controllers)
    spec = _find(converted, "Application", "gateway")["spec"]
    assert spec["source"] == {
        "repoURL": "oci://docker.io/example/gateway-helm",
        "path": ".",
        "targetRevision": "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "helm": {"releaseName": "gateway", "skipCrds": True},
    }
    assert spec["destination"]["namespace"] == "gateway-system"


def test_a_chart_template_may_name_an_oci_repository_too(flux_controllers: list[Obj]) -> None:
    release = _find(flux_controllers, "HelmRelease", "ctl")
    release["spec"]["chart"]["spec"]["sourceRef"] = {"kind": "OCIRepository", "name": "gateway"}
    source = _find(_argocd(flux_controllers), "Application", "ctl")
    assert source["spec"]["source"]["repoURL"] == "oci://docker.io/example/gateway-helm/ctl-chart"
    assert source["spec"]["source"]["path"] == "."
    assert "chart" not in source["spec"]["source"]


def test_a_kustomization_of_a_git_repository(flux_controllers: list[Obj]) -> None:
    spec = _find(_argocd(flux_controllers), "Application", "crds")["spec"]
    assert spec["source"] == {
        "repoURL": "https://github.com/example/crds",
        "targetRevision": "v1.6.1",
        "path": "config/crd",
    }
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}


def test_a_kustomization_without_target_namespace_creates_no_namespace(
    flux_controllers: list[Obj],
) -> None:
    """Flux keeps each object's own namespace then; an Argo CD-only cluster must not get an empty
    flux-system namespace from the Application."""
    spec = _find(_argocd(flux_controllers), "Application", "crds")["spec"]
    assert spec["destination"] == {"server": "https://kubernetes.default.svc"}
    assert spec["syncPolicy"]["syncOptions"] == ["ServerSideApply=true"]


def test_a_kustomization_target_namespace_is_the_destination(flux_controllers: list[Obj]) -> None:
    _find(flux_controllers, "Kustomization", "crds")["spec"]["targetNamespace"] = "crds"
    spec = _find(_argocd(flux_controllers), "Application", "crds")["spec"]
    assert spec["destination"]["namespace"] == "crds"
    assert spec["syncPolicy"]["syncOptions"] == ["CreateNamespace=true", "ServerSideApply=true"]


def test_a_kustomization_that_never_prunes_gives_an_application_that_never_prunes(
    flux_controllers: list[Obj],
) -> None:
    """CRDs from git are applied with prune: false (deleting a CRD deletes every object of its
    kind): the Argo CD side must not prune them either."""
    _find(flux_controllers, "Kustomization", "crds")["spec"]["prune"] = False
    spec = _find(_argocd(flux_controllers), "Application", "crds")["spec"]
    assert spec["syncPolicy"]["automated"] == {"prune": False, "selfHeal": True}


@pytest.mark.parametrize("version", ["1.x", "^1.2.0", "~1.2", ">=1.0.0", "*", "1.0 || 2.0", ""])
def test_a_range_of_chart_versions_is_refused(flux_controllers: list[Obj], version: str) -> None:
    _find(flux_controllers, "HelmRelease", "ctl")["spec"]["chart"]["spec"]["version"] = version
    with pytest.raises(ConfigError) as caught:
        _argocd(flux_controllers)
    assert caught.value.message == (
        f"HelmRelease ctl: chart version {version!r} must be one exact version"
    )
    assert str(caught.value.path) == SHOWN
    assert caught.value.exit_code == 2


def test_values_from_a_config_map_are_refused(flux_controllers: list[Obj]) -> None:
    release = _find(flux_controllers, "HelmRelease", "ctl")
    release["spec"]["valuesFrom"] = [{"kind": "ConfigMap", "name": "ctl-values"}]
    with pytest.raises(ConfigError, match="HelmRelease ctl: valuesFrom has no Argo CD equivalent"):
        _argocd(flux_controllers)


def test_a_missing_source_is_refused(flux_controllers: list[Obj]) -> None:
    release = _find(flux_controllers, "HelmRelease", "ctl")
    release["spec"]["chart"]["spec"]["sourceRef"]["name"] = "elsewhere"
    with pytest.raises(ConfigError) as caught:
        _argocd(flux_controllers)
    assert caught.value.message == (
        "HelmRelease ctl: its source HelmRepository flux-system/elsewhere is not in the same "
        "layer; describe both in the same app"
    )


def test_a_source_in_another_namespace_is_another_source(flux_controllers: list[Obj]) -> None:
    ref = _find(flux_controllers, "HelmRelease", "ctl")["spec"]["chart"]["spec"]["sourceRef"]
    ref["namespace"] = "other"
    with pytest.raises(ConfigError, match="its source HelmRepository other/charts is not in"):
        _argocd(flux_controllers)


def test_a_kustomization_without_its_source_names_the_kustomization(
    flux_controllers: list[Obj],
) -> None:
    _find(flux_controllers, "Kustomization", "crds")["spec"]["sourceRef"]["name"] = "gone"
    with pytest.raises(ConfigError) as caught:
        _argocd(flux_controllers)
    assert caught.value.message.startswith(
        "Kustomization crds: its source GitRepository flux-system/gone is not in the same layer"
    )


def test_an_oci_repository_pinned_by_tag_alone_pins_argo_cd_by_the_tag(
    flux_controllers: list[Obj],
) -> None:
    del _find(flux_controllers, "OCIRepository", "gateway")["spec"]["ref"]["digest"]
    spec = _find(_argocd(flux_controllers), "Application", "gateway")
    assert spec["spec"]["source"]["targetRevision"] == "v1.9.0"


def test_an_oci_repository_without_a_pin_is_refused(flux_controllers: list[Obj]) -> None:
    _find(flux_controllers, "OCIRepository", "gateway")["spec"]["ref"] = {}
    with pytest.raises(ConfigError) as caught:
        _argocd(flux_controllers)
    assert caught.value.message == (
        "OCIRepository gateway: pin the chart by ref.tag or ref.digest (Argo CD takes the same "
        "revision)"
    )


def test_a_git_repository_on_a_branch_is_refused(flux_controllers: list[Obj]) -> None:
    _find(flux_controllers, "GitRepository", "crds")["spec"]["ref"] = {"branch": "main"}
    with pytest.raises(ConfigError, match=r"GitRepository crds: pin it by ref\.tag or ref\.commit"):
        _argocd(flux_controllers)


def test_a_release_without_a_chart_is_refused(flux_controllers: list[Obj]) -> None:
    del _find(flux_controllers, "HelmRelease", "ctl")["spec"]["chart"]
    with pytest.raises(
        ConfigError,
        match=r"HelmRelease ctl needs spec\.chart\.spec or a chartRef to an OCIRepository",
    ):
        _argocd(flux_controllers)
