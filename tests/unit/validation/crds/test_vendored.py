"""The vendored custom resource schemas accept real objects and reject typos."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import pytest
import yaml

from gitops.validation import crds

VENDORED = Path(crds.__file__).parent / "vendored"

APPLICATION = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "guestbook-dev", "namespace": "argocd"},
    "spec": {
        "project": "default",
        "source": {
            "repoURL": "https://github.com/example/guestbook.git",
            "targetRevision": "main",
            "path": "clusters/dev",
            "directory": {"recurse": True},
        },
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "guestbook-dev"},
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
            "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
        },
    },
}


def errors(obj: dict) -> list[str]:
    schema = crds.crd_schema(obj["apiVersion"], obj["kind"])
    assert schema is not None
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(obj)]


def test_application_with_automated_sync_is_accepted():
    assert errors(APPLICATION) == []


def test_multi_source_application_with_helm_values_object_is_accepted():
    app = copy.deepcopy(APPLICATION)
    del app["spec"]["source"]
    app["spec"]["sources"] = [
        {
            "repoURL": "https://charts.example.com",
            "chart": "redis",
            "targetRevision": "19.0.0",
            "helm": {"valuesObject": {"anything": {"nested": [1, 2]}}, "releaseName": "cache"},
        },
        {"repoURL": "https://github.com/example/values.git", "ref": "values"},
    ]
    assert errors(app) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda a: a["spec"]["syncPolicy"]["automated"].update(selfheal=True),
            "'selfheal' was unexpected",
        ),
        (lambda a: a.update(sepc={}), "'sepc' was unexpected"),
        (
            lambda a: a["spec"]["syncPolicy"]["automated"].update(prune="yes"),
            "'yes' is not of type 'boolean'",
        ),
        (lambda a: a["spec"].pop("destination"), "'destination' is a required property"),
        (lambda a: a["spec"]["source"].pop("repoURL"), "'repoURL' is a required property"),
        (lambda a: a["spec"].update(revisionHistoryLimit="ten"), "'ten' is not of type 'integer'"),
    ],
)
def test_application_typos_are_errors(mutate, expected):
    app = copy.deepcopy(APPLICATION)
    mutate(app)
    assert any(expected in message for message in errors(app)), errors(app)


def test_every_error_of_an_object_is_reported():
    app = copy.deepcopy(APPLICATION)
    app["spec"]["syncPolicy"]["automated"]["selfheal"] = True
    app["spec"]["project"] = 3
    assert len(errors(app)) == 2


def test_kind_facts():
    assert crds.is_namespaced("argoproj.io/v1alpha1", "Application") is True
    assert crds.is_namespaced("example.com/v1", "Nothing") is None
    assert ("argoproj.io/v1alpha1", "Application") in crds.known_kinds()
    assert crds.crd_schema("argoproj.io/v1beta9", "Application") is None
    assert crds.crd_schema("argoproj.io/v1alpha1", "Nothing") is None


def test_schema_is_built_once():
    first = crds.crd_schema("argoproj.io/v1alpha1", "Application")
    assert crds.crd_schema("argoproj.io/v1alpha1", "Application") is first


def test_sources_record_every_vendored_kind_with_its_origin():
    sources = yaml.safe_load((VENDORED / "SOURCES.yaml").read_text())
    vendored = {f"{a.split('/')[0]}/{k}" for a, k in crds.known_kinds()}
    assert vendored and vendored <= set(sources["kinds"])
    for name in vendored:
        source = sources["kinds"][name]["source"]
        assert source["repository"] and source["path"] and source["retrieved"] and source["sha256"]
        assert len(source["commit"]) == 40
    for upstream in sources["upstreams"].values():
        assert upstream["repository"] and upstream["paths"] and "{tag}" in upstream["release"]


GIT_REPOSITORY = {
    "apiVersion": "source.toolkit.fluxcd.io/v1",
    "kind": "GitRepository",
    "metadata": {"name": "guestbook", "namespace": "flux-system"},
    "spec": {
        "interval": "1m",
        "url": "https://github.com/example/guestbook.git",
        "ref": {"branch": "main"},
        "ignore": "/*\n!/clusters/dev\n",
    },
}

KUSTOMIZATION = {
    "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
    "kind": "Kustomization",
    "metadata": {"name": "guestbook-dev", "namespace": "flux-system"},
    "spec": {
        "interval": "10m",
        "path": "./clusters/dev",
        "prune": True,
        "wait": True,
        "timeout": "5m",
        "sourceRef": {"kind": "GitRepository", "name": "guestbook"},
        "postBuild": {"substituteFrom": [{"kind": "ConfigMap", "name": "vars", "optional": True}]},
    },
}

HELM_RELEASE = {
    "apiVersion": "helm.toolkit.fluxcd.io/v2",
    "kind": "HelmRelease",
    "metadata": {"name": "redis", "namespace": "guestbook"},
    "spec": {
        "interval": "30m",
        "chartRef": {"kind": "OCIRepository", "name": "redis"},
        "install": {"strategy": {"name": "RetryOnFailure", "retryInterval": "2m"}},
        "upgrade": {"remediation": {"retries": 3, "strategy": "rollback"}},
        "values": {"anything": [{"goes": True}], "replicas": 2},
    },
}

OCI_REPOSITORY = {
    "apiVersion": "source.toolkit.fluxcd.io/v1",
    "kind": "OCIRepository",
    "metadata": {"name": "redis", "namespace": "guestbook"},
    "spec": {
        "interval": "12h",
        "url": "oci://registry.example.com/charts/redis",
        "ref": {"semver": ">=19.0.0"},
        "layerSelector": {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip"},
    },
}

APP_PROJECT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "AppProject",
    "metadata": {"name": "guestbook", "namespace": "argocd"},
    "spec": {
        "sourceRepos": ["https://github.com/example/guestbook.git"],
        "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "guestbook-*"}],
        "clusterResourceWhitelist": [{"group": "", "kind": "Namespace", "name": "guestbook-*"}],
    },
}

OBJECTS = {
    "GitRepository": GIT_REPOSITORY,
    "Kustomization": KUSTOMIZATION,
    "HelmRelease": HELM_RELEASE,
    "OCIRepository": OCI_REPOSITORY,
    "AppProject": APP_PROJECT,
}


def located(obj: dict) -> list[tuple[str, str]]:
    schema = crds.crd_schema(obj["apiVersion"], obj["kind"])
    assert schema is not None
    return [
        (e.json_path, e.message) for e in jsonschema.Draft202012Validator(schema).iter_errors(obj)
    ]


@pytest.mark.parametrize("kind", sorted(OBJECTS))
def test_typical_flux_and_argo_objects_are_accepted(kind):
    assert located(OBJECTS[kind]) == []


def test_fields_of_current_controllers_are_accepted():
    """DESIGN.md: sourceRef.kind ExternalArtifact and HelmRelease install.strategy are current."""
    ks = copy.deepcopy(KUSTOMIZATION)
    ks["spec"]["sourceRef"] = {"kind": "ExternalArtifact", "name": "apps"}
    ks["spec"]["postBuild"]["substituteStrategy"] = "Always"
    ks["spec"]["dependsOn"] = [{"name": "infra", "readyExpr": "dep.status.ready == true"}]
    assert located(ks) == []
    hr = copy.deepcopy(HELM_RELEASE)
    hr["spec"]["chartRef"]["kind"] = "ExternalArtifact"
    hr["spec"]["upgrade"]["strategy"] = {"name": "RemediateOnFailure"}
    hr["spec"]["postRenderStrategy"] = "nohooks"
    assert located(hr) == []
    app = copy.deepcopy(APPLICATION)
    app["spec"]["source"]["tagPrefix"] = "component-b/"
    app["spec"]["syncPolicy"]["automated"]["enabled"] = True
    assert located(app) == []
    project = copy.deepcopy(APP_PROJECT)
    project["spec"]["syncWindows"] = [
        {"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "syncOverrun": True}
    ]
    project["spec"]["sourceIntegrity"] = {
        "git": {"policies": [{"gpg": {"keys": ["ABCD"], "mode": "head"}, "repos": [{"url": "*"}]}]}
    }
    assert located(project) == []


def _set(obj: dict, path: str, value) -> dict:
    out = copy.deepcopy(obj)
    *parents, last = path.split(".")
    node = out
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return out


DELETE = object()


@pytest.mark.parametrize(
    ("kind", "path", "value", "where", "expected"),
    [
        ("GitRepository", "spec.ref.brnach", "main", "$.spec.ref", "'brnach' was unexpected"),
        ("GitRepository", "spec.url", "git@github.com:x/y", "$.spec.url", "does not match"),
        ("GitRepository", "spec.interval", "1 minute", "$.spec.interval", "does not match"),
        ("GitRepository", "spec.provider", "gitlab", "$.spec.provider", "is not one of"),
        ("GitRepository", "spec.interval", DELETE, "$.spec", "'interval' is a required"),
        ("Kustomization", "spec.prune", "true", "$.spec.prune", "is not of type 'boolean'"),
        ("Kustomization", "spec.prune", DELETE, "$.spec", "'prune' is a required property"),
        (
            "Kustomization",
            "spec.sourceRef.kind",
            "HelmRepository",
            "$.spec.sourceRef.kind",
            "is not one of",
        ),
        (
            "Kustomization",
            "spec.targetNamespace",
            "",
            "$.spec.targetNamespace",
            "should be non-empty",
        ),
        ("Kustomization", "spec.postbuild", {}, "$.spec", "'postbuild' was unexpected"),
        ("HelmRelease", "spec.interval", DELETE, "$.spec", "'interval' is a required property"),
        (
            "HelmRelease",
            "spec.install.strategy",
            {"retryInterval": "1m"},
            "$.spec.install.strategy",
            "'name' is a required",
        ),
        (
            "HelmRelease",
            "spec.upgrade.remediation.retries",
            "3",
            "$.spec.upgrade.remediation.retries",
            "is not of type 'integer'",
        ),
        ("HelmRelease", "spec.releaseName", "x" * 54, "$.spec.releaseName", "is too long"),
        (
            "OCIRepository",
            "spec.url",
            "https://registry.example.com/x",
            "$.spec.url",
            "does not match",
        ),
        (
            "OCIRepository",
            "spec.layerSelector.operation",
            "unpack",
            "$.spec.layerSelector.operation",
            "is not one of",
        ),
        ("AppProject", "spec.description", "x" * 256, "$.spec.description", "is too long"),
        ("AppProject", "spec.sourceRepo", ["*"], "$.spec", "'sourceRepo' was unexpected"),
    ],
)
def test_mistakes_are_reported_at_their_path(kind, path, value, where, expected):
    found = located(_set(OBJECTS[kind], path, value))
    assert len(found) == 1, found
    assert found[0][0] == where and expected in found[0][1], found


def test_application_without_spec_is_refused_like_the_api_server_does():
    app = {k: v for k, v in APPLICATION.items() if k != "spec"}
    assert ("$", "'spec' is a required property") in located(app)


def test_a_field_of_argo_cds_development_branch_is_not_one_of_the_pinned_release():
    """syncWindowRefs was in a development-branch CRD vendored before; v3.5.1 (the release
    bootstrap/ installs, the one the catalog pins) does not have it: the server would prune it."""
    app = copy.deepcopy(APPLICATION)
    app["spec"]["syncWindowRefs"] = [{"selector": {"matchLabels": {"team": "guestbook"}}}]
    assert located(app) == [
        ("$.spec", "Additional properties are not allowed ('syncWindowRefs' was unexpected)")
    ]


def test_status_and_operation_of_an_application_follow_the_release_schema():
    app = copy.deepcopy(APPLICATION)
    app["status"] = {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}
    app["operation"] = {"sync": {"revision": "HEAD", "prune": True}}
    assert located(app) == []
    app["status"]["whatever"] = [1]
    assert located(app) == [
        ("$.status", "Additional properties are not allowed ('whatever' was unexpected)")
    ]


def test_cel_rules_are_listed_not_evaluated():
    rules = crds.cel_rules("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
    assert {r["path"] for r in rules} == {".spec.kubeConfig"}
    hr_rules = {
        r["path"]: r["rule"] for r in crds.cel_rules("helm.toolkit.fluxcd.io/v2", "HelmRelease")
    }
    assert "has(self.chartRef)" in hr_rules[".spec"]
    assert crds.cel_rules("argoproj.io/v1alpha1", "Application") == []


def test_every_bootstrap_kind_is_vendored_and_namespaced():
    for api_version, kind in [
        ("argoproj.io/v1alpha1", "Application"),
        ("argoproj.io/v1alpha1", "AppProject"),
        ("source.toolkit.fluxcd.io/v1", "GitRepository"),
        ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
        ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
        ("source.toolkit.fluxcd.io/v1", "OCIRepository"),
        ("source.toolkit.fluxcd.io/v1", "HelmRepository"),
    ]:
        assert (api_version, kind) in crds.known_kinds()
        assert crds.is_namespaced(api_version, kind) is True


def test_vendored_files_match_the_checksums_recorded_in_sources():
    """A hand edit of a vendored file (instead of `refresh`) shows up here."""
    import hashlib
    import json

    from gitops.validation.crds.store import read_data

    sources = yaml.safe_load((VENDORED / "SOURCES.yaml").read_text())["kinds"]
    index = json.loads((VENDORED / "index.json").read_text())["kinds"]
    assert {f"{e['group']}/{e['kind']}" for e in index} == set(sources)
    for entry in index:
        source = sources[f"{entry['group']}/{entry['kind']}"]["source"]
        assert entry["file"].endswith(".json.gz")  # gzipped: the catalog stays small
        data = read_data(VENDORED / entry["file"])
        assert hashlib.sha256(data).hexdigest() == source["schemaSha256"], entry["file"]
        assert b'"description":"' not in data  # descriptions are dropped, not shipped


def test_every_kind_names_the_release_file_and_commit_it_was_read_from():
    """Pinned: each kind's record names its upstream, the file at a commit (a permanent GitHub
    address) and the file's sha256; that commit and the tag are the upstream's pin."""
    import re
    from datetime import UTC, date, datetime, timedelta

    # the latest calendar date anywhere on Earth now (UTC+14): a date written where it is
    # already tomorrow is not in the future
    today = (datetime.now(UTC) + timedelta(hours=14)).date()
    sources = yaml.safe_load((VENDORED / "SOURCES.yaml").read_text())
    upstreams = sources["upstreams"]
    for name, entry in sources["kinds"].items():
        for source in [entry["source"], *entry.get("also", [])]:
            upstream = upstreams[source["upstream"]]
            assert re.fullmatch(r"[0-9a-f]{40}", source["commit"]), name
            assert source["commit"] == upstream["commit"], name
            assert source["repository"] == upstream["repository"], name
            assert upstream["tag"] in source["release"] or upstream["tag"] in source["path"], name
            assert source["location"] == (
                f"https://github.com/{source['repository']}/blob/{source['commit']}/"
                f"{source['path']}"
            ), name
            assert re.fullmatch(r"[0-9a-f]{64}", source["sha256"]), name
            retrieved = source["retrieved"]
            assert isinstance(retrieved, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", retrieved)
            assert date.fromisoformat(retrieved) <= today, f"{name}: retrieved {retrieved} is ahead"
    for name, upstream in upstreams.items():
        assert upstream["tag"] and re.fullmatch(r"[0-9a-f]{40}", upstream["commit"]), name
