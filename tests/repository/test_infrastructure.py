"""The infrastructure (apps/infrastructure/, rendered into clusters/<env>/infra-*/): its facts are
the environment's facts, the ClusterIssuer and the Gateway carry them, every chart and every git
source is pinned, and Argo CD's Applications install exactly what Flux's HelmReleases and
Kustomizations do."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops.repo.environments import Environment, environment_names, load_environment
from gitops.repo.layout import Layout

REPO = Path(__file__).resolve().parents[2]  # at import: the environments parametrize the tests
LAYOUT = Layout(REPO)
ENVS = environment_names(LAYOUT)
EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+$")  # 1.2.3 or v1.2.3: no range, no prerelease
Object = dict[str, Any]


def _env(name: str) -> Environment:
    return load_environment(LAYOUT, name)


def _facts_config_map(env: str) -> dict[str, str]:
    """The data of the infrastructure overlay's facts.yaml (a local-config ConfigMap)."""
    (doc,) = yaml.safe_load_all(
        (LAYOUT.overlay_dir("infrastructure", env) / "facts.yaml").read_text(encoding="utf-8")
    )
    assert doc["metadata"]["annotations"]["config.kubernetes.io/local-config"] == "true"
    return doc["data"]


@pytest.mark.parametrize("env", ENVS)
def test_the_infrastructures_facts_are_the_environments_facts(env: str) -> None:
    """facts.yaml repeats environment.yaml for kustomize: issuer, ACME directory and e-mail, the
    guestbook's host and namespace; nothing more, nothing else."""
    facts = _env(env)
    assert facts.certificates is not None
    guestbook = facts.apps["guestbook"]
    assert _facts_config_map(env) == {
        "issuer": facts.certificates.issuer,
        "acme-server": facts.certificates.server,
        "acme-email": facts.certificates.email,
        "guestbook-host": guestbook.host,
        "guestbook-namespace": guestbook.namespace,
    }


@pytest.mark.parametrize("env", ENVS)
def test_the_cluster_issuer_carries_the_certificate_facts(env: str, load_cluster) -> None:
    certificates = _env(env).certificates
    assert certificates is not None
    objects = load_cluster(env)
    (issuer,) = objects.by_kind("ClusterIssuer")
    assert objects.apps[f"infra-configs/clusterissuer-{certificates.issuer}.yaml"] == (
        "infrastructure"
    )
    acme = issuer["spec"]["acme"]
    assert issuer["metadata"]["name"] == certificates.issuer
    assert (acme["server"], acme["email"]) == (certificates.server, certificates.email)
    # HTTP-01 through the public Gateway's plain HTTP listener
    (solver,) = acme["solvers"]
    (parent,) = solver["http01"]["gatewayHTTPRoute"]["parentRefs"]
    gateway = objects.one("Gateway", parent["name"])
    assert gateway["metadata"]["namespace"] == parent["namespace"]
    listeners = {item["name"]: item for item in gateway["spec"]["listeners"]}
    assert listeners[parent["sectionName"]]["protocol"] == "HTTP"


@pytest.mark.parametrize("env", ENVS)
def test_the_gateway_carries_the_issuer_the_host_and_the_guestbooks_namespace(
    env: str, load_cluster
) -> None:
    facts = _env(env)
    assert facts.certificates is not None
    guestbook = facts.apps["guestbook"]
    gateway = load_cluster(env).one("Gateway", "public")
    namespace = gateway["metadata"]["namespace"]
    assert gateway["metadata"]["annotations"] == {
        "cert-manager.io/cluster-issuer": facts.certificates.issuer
    }
    listeners = {item["name"]: item for item in gateway["spec"]["listeners"]}
    https = listeners["https-guestbook"]
    assert https["protocol"] == "HTTPS"
    assert https["hostname"] == guestbook.host
    assert https["tls"]["mode"] == "Terminate"
    assert https["allowedRoutes"]["namespaces"] == {
        "from": "Selector",
        "selector": {"matchLabels": {"kubernetes.io/metadata.name": guestbook.namespace}},
    }
    http = listeners["http"]
    assert http["protocol"] == "HTTP" and "hostname" not in http
    (expression,) = http["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"]
    assert (expression["key"], expression["operator"]) == ("kubernetes.io/metadata.name", "In")
    # the guestbook's redirect, and cert-manager's solver routes in the Gateway's own namespace
    assert sorted(expression["values"]) == sorted([namespace, guestbook.namespace])


def _controllers(load_cluster, env: str, controller: str) -> list[Object]:
    return [
        obj
        for path, obj in load_cluster(env).items()
        if path.startswith(f"infra-controllers/{controller}/")
    ]


def _sources(objects: list[Object]) -> dict[tuple[str, str], Object]:
    return {
        (o["kind"], o["metadata"]["name"]): o
        for o in objects
        if o["apiVersion"].startswith("source.toolkit.fluxcd.io/")
    }


@pytest.mark.parametrize("env", ENVS)
def test_every_chart_and_every_git_source_is_pinned(env: str, load_cluster) -> None:
    """One exact chart version per HelmRelease (its HelmRepository's chart, or the tag of its
    OCIRepository), and a tag for every GitRepository: nothing moves unless git changes."""
    objects = _controllers(load_cluster, env, "flux")
    sources = _sources(objects)
    releases = [o for o in objects if o["kind"] == "HelmRelease"]
    assert releases
    for release in releases:
        name = release["metadata"]["name"]
        spec = release["spec"]
        if "chart" in spec:
            chart = spec["chart"]["spec"]
            assert EXACT_VERSION.match(str(chart["version"])), name
            source = sources[(chart["sourceRef"]["kind"], chart["sourceRef"]["name"])]
            assert source["spec"]["url"].startswith("https://"), name
        else:
            source = sources[(spec["chartRef"]["kind"], spec["chartRef"]["name"])]
            assert source["kind"] == "OCIRepository", name
            assert EXACT_VERSION.match(source["spec"]["ref"]["tag"]), name
            assert source["spec"]["url"].startswith("oci://"), name
    repositories = [o for o in objects if o["kind"] == "GitRepository"]
    assert repositories
    for repository in repositories:
        ref = repository["spec"]["ref"]
        assert set(ref) == {"tag"}, repository["metadata"]["name"]
        assert EXACT_VERSION.match(ref["tag"]), repository["metadata"]["name"]


@pytest.mark.parametrize("env", ENVS)
def test_argo_cd_installs_what_flux_installs(env: str, load_cluster) -> None:
    """infra-controllers/argocd/ holds one Application per HelmRelease (the same chart, version,
    release name, values and namespace) and per Kustomization (the same repository, tag and
    path), and the same other objects (the Namespaces) as infra-controllers/flux/."""
    flux = _controllers(load_cluster, env, "flux")
    argocd = _controllers(load_cluster, env, "argocd")
    sources = _sources(flux)
    installers = [o for o in flux if o["kind"] in {"HelmRelease", "Kustomization"}]
    applications = {o["metadata"]["name"]: o for o in argocd if o["kind"] == "Application"}
    assert sorted(applications) == sorted(o["metadata"]["name"] for o in installers)
    for installer in installers:
        application = applications[installer["metadata"]["name"]]
        assert application["spec"]["source"] == _expected_source(installer, sources)
        namespace = installer["spec"].get("targetNamespace")
        if installer["kind"] == "HelmRelease":
            namespace = namespace or installer["metadata"]["namespace"]
        assert application["spec"]["destination"].get("namespace") == namespace
    others = [o for o in flux if o not in installers and o not in sources.values()]
    assert others and sorted(map(str, others)) == sorted(
        str(o) for o in argocd if o["kind"] != "Application"
    )


def _expected_source(installer: Object, sources: dict[tuple[str, str], Object]) -> Object:
    spec = installer["spec"]
    name = installer["metadata"]["name"]
    if installer["kind"] == "Kustomization":
        repository = sources[("GitRepository", spec["sourceRef"]["name"])]["spec"]
        return {
            "repoURL": repository["url"],
            "targetRevision": repository["ref"]["tag"],
            "path": spec["path"].removeprefix("./"),
        }
    helm: Object = {"releaseName": spec.get("releaseName", name)}
    if spec.get("values"):
        helm["valuesObject"] = spec["values"]
    if (spec.get("install") or {}).get("crds") == "Skip":
        helm["skipCrds"] = True
    if "chart" in spec:
        chart = spec["chart"]["spec"]
        url = sources[(chart["sourceRef"]["kind"], chart["sourceRef"]["name"])]["spec"]["url"]
        assert not url.startswith("oci://"), "a chart template of an OCI HelmRepository"
        return {
            "repoURL": url,
            "chart": chart["chart"],
            "targetRevision": chart["version"],
            "helm": helm,
        }
    # An OCI chart: Argo CD's OCI source, the same URL and pin (docs/user-guide/oci.md).
    oci = sources[("OCIRepository", spec["chartRef"]["name"])]["spec"]
    pin = oci["ref"].get("digest") or oci["ref"]["tag"]
    return {"repoURL": oci["url"], "path": ".", "targetRevision": pin, "helm": helm}


def test_every_controller_of_the_infrastructure_is_in_the_controllers_layer(load_cluster) -> None:
    """What apps/infrastructure/controllers/ describes is applied before anything it serves."""
    for env in ENVS:
        objects = load_cluster(env).of_app("infrastructure")
        for path, obj in objects.items():
            if obj["apiVersion"].split("/")[0].endswith("fluxcd.io") or obj["kind"] == (
                "Application"
            ):
                assert path.startswith("infra-controllers/"), path
            else:
                assert path.startswith(("infra-controllers/", "infra-configs/")), path
