"""What the controllers may do, derived from what they apply: each Argo CD project admits exactly
the sources, namespaces and kinds its Applications render (the charts' contents, read upstream,
for those that install charts), and the Role Flux impersonates for the app layers grants exactly
the kinds those layers render, in their namespace. A kind added to the rendered state fails here
until the project or the Role names it; a kind no longer rendered fails until it is removed.
Commit signature verification is one switch per controller, off, and valid when switched on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
import pytest
import yaml

from gitops.render.controllers import CHARTS_PROJECT
from gitops.render.state import Rendered
from gitops.repo.environments import environment_names
from gitops.repo.layers import load_layers
from gitops.repo.layout import Layout
from gitops.validation.applyorder.order import Unit, entry_points
from gitops.validation.crds import crd_schema

REPO = Path(__file__).resolve().parents[2]
LAYOUT = Layout(REPO)
ENVS = environment_names(LAYOUT)
LAYERS = load_layers(LAYOUT.layers_file, "layers.yaml")
REPO_URL = "https://github.com/example/guestbook-gitops.git"
IN_CLUSTER = "https://kubernetes.default.svc"
UPSTREAM_CRDS = REPO / "src/gitops/validation/crds/upstream"
Object = dict[str, Any]


class Contents(NamedTuple):
    """What an Application of a chart or of an upstream git path installs, read in its source at
    the pinned version with the values this repository renders: cluster-scoped kinds, namespaced
    kinds, and the namespaces besides the Application's own destination it writes into."""

    cluster: frozenset[tuple[str, str]]
    namespaced: frozenset[tuple[str, str]]
    elsewhere: frozenset[str] = frozenset()


RBAC = "rbac.authorization.k8s.io"
WEBHOOKS = "admissionregistration.k8s.io"
CRD = ("apiextensions.k8s.io", "CustomResourceDefinition")
CLUSTER_RBAC = {(RBAC, "ClusterRole"), (RBAC, "ClusterRoleBinding")}
WORKLOAD = {("", "Service"), ("", "ServiceAccount"), ("apps", "Deployment")}
ROLES = {(RBAC, "Role"), (RBAC, "RoleBinding")}

CHARTS: dict[tuple[str, str, str], Contents] = {
    # cert-manager v1.21.1, deploy/charts/cert-manager/templates/: crd-*.yaml (crds.enabled),
    # rbac.yaml, webhook-rbac.yaml, cainjector-rbac.yaml (global.rbac.create), webhook-mutating-
    # webhook.yaml, webhook-validating-webhook.yaml, the three Deployments, Services (prometheus
    # enabled, no PodMonitor) and ServiceAccounts, controller-config.yaml (`config` is set),
    # startupapicheck-job.yaml and -rbac.yaml (a Helm hook). The leader-election Roles and
    # RoleBindings go to global.leaderElection.namespace, kube-system by default (values.yaml).
    # PodSecurityPolicies, NetworkPolicies, PodDisruptionBudgets, monitors: off by default.
    ("https://charts.jetstack.io", "cert-manager", "v1.21.1"): Contents(
        frozenset({CRD, *CLUSTER_RBAC, (WEBHOOKS, "MutatingWebhookConfiguration")})
        | {(WEBHOOKS, "ValidatingWebhookConfiguration")},
        frozenset({*WORKLOAD, *ROLES, ("", "ConfigMap"), ("batch", "Job")}),
        frozenset({"kube-system"}),
    ),
    # Envoy Gateway v1.9.0, charts/gateway-helm/templates/ (values.tmpl.yaml; CRDs off here):
    # envoy-gateway-rbac.yaml (ClusterRole and binding; Roles only for watched namespaces, none),
    # certgen-rbac.yaml (a Helm hook: ServiceAccount, Role, RoleBinding; ClusterRole and binding
    # with topologyInjector.enabled, the default), envoy-proxy-topology-injector-webhook.yaml
    # (MutatingWebhookConfiguration, same switch), leader-election-rbac.yaml, certgen.yaml (Job),
    # envoy-gateway-config.yaml (ConfigMap), the Deployment, Service and ServiceAccount. No HPA
    # (hpa.enabled false), no PodDisruptionBudget (minAvailable 0), no Namespace (createNamespace
    # false).
    ("oci://registry-1.docker.io/envoyproxy/gateway-helm", "", "v1.9.0"): Contents(
        frozenset({*CLUSTER_RBAC, (WEBHOOKS, "MutatingWebhookConfiguration")}),
        frozenset({*WORKLOAD, *ROLES, ("", "ConfigMap"), ("batch", "Job")}),
    ),
    # metrics-server chart 3.13.1 (tag metrics-server-helm-chart-3.13.1), charts/metrics-server/
    # templates/: apiservice.yaml (apiService.create; no Secret with tls.type metrics-server),
    # clusterrole.yaml, clusterrole-aggregated-reader.yaml, clusterrolebinding.yaml,
    # clusterrolebinding-auth-delegator.yaml, rolebinding.yaml (in kube-system), the Deployment,
    # Service and ServiceAccount; addonResizer, PodDisruptionBudget, ServiceMonitor off.
    ("https://kubernetes-sigs.github.io/metrics-server/", "metrics-server", "3.13.1"): Contents(
        frozenset({*CLUSTER_RBAC, ("apiregistration.k8s.io", "APIService")}),
        frozenset({*WORKLOAD, (RBAC, "RoleBinding")}),
    ),
    # Sealed Secrets chart 2.18.5 (tag helm-v2.18.5), helm/sealed-secrets/: crds/ (the
    # SealedSecret CRD), templates/cluster-role.yaml and cluster-role-binding.yaml (rbac.create,
    # rbac.clusterRole), role.yaml and role-binding.yaml (the key-admin and service-proxier
    # roles), the Deployment, two Services and the ServiceAccount; no additional namespaces, no
    # NetworkPolicy, PodDisruptionBudget, Ingress or ServiceMonitor by default.
    ("https://bitnami-labs.github.io/sealed-secrets", "sealed-secrets", "2.18.5"): Contents(
        frozenset({CRD, *CLUSTER_RBAC}), frozenset({*WORKLOAD, *ROLES})
    ),
    # Gateway API v1.6.1, config/crd/kustomization.yaml: the standard CRDs and
    # standard/gateway.networking.k8s.io_vap_safeupgrades.yaml (a ValidatingAdmissionPolicy and
    # its binding).
    ("https://github.com/kubernetes-sigs/gateway-api", "config/crd", "v1.6.1"): Contents(
        frozenset({CRD, (WEBHOOKS, "ValidatingAdmissionPolicy")})
        | {(WEBHOOKS, "ValidatingAdmissionPolicyBinding")},
        frozenset(),
    ),
    # Envoy Gateway v1.9.0, charts/gateway-helm/charts/crds/crds/generated/: CRDs only.
    (
        "https://github.com/envoyproxy/gateway",
        "charts/gateway-helm/charts/crds/crds/generated",
        "v1.9.0",
    ): Contents(frozenset({CRD}), frozenset()),
}
"""The contents of each chart (repository, chart, version) and upstream git path (repository,
path, tag) the infrastructure installs. A version bump makes its key unknown: read the chart's
templates at the new version, with the rendered values, and update the entry."""


def committed(env: str) -> Rendered:
    folder = LAYOUT.cluster_dir(env)
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.yaml")}
    return Rendered(files={env: dict(sorted(files.items()))})


def _docs(path: Path) -> list[Object]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _group(obj: Object) -> str:
    return str(obj["apiVersion"]).rpartition("/")[0]


def _projects(env: str) -> dict[str, Object]:
    path = LAYOUT.bootstrap_dir / "argocd" / env / "projects.yaml"
    docs = _docs(path)
    assert {d["kind"] for d in docs} == {"AppProject"}, path
    return {d["metadata"]["name"]: d["spec"] for d in docs}


class Needs:
    """What a project's Applications need: sources, destination namespaces, kinds."""

    def __init__(self) -> None:
        self.sources: set[str] = set()
        self.namespaces: set[str] = set()
        self.cluster: set[tuple[str, ...]] = set()
        self.namespaced: set[tuple[str, str]] = set()
        self.why: dict[object, str] = {}

    def add_objects(self, objects: Iterable[tuple[str, Object]]) -> None:
        for where, obj in objects:
            meta = obj["metadata"]
            if meta.get("namespace"):
                key: tuple[str, ...] = (_group(obj), obj["kind"])
                self.namespaced.add((_group(obj), obj["kind"]))
                self.namespaces.add(meta["namespace"])
                self.why.setdefault(meta["namespace"], where)
            else:
                key = (_group(obj), obj["kind"], meta["name"])
                self.cluster.add(key)
            self.why.setdefault(key, where)


def _needs(env: str, rendered: Rendered) -> dict[str, Needs]:
    """Per project, what the Applications naming it apply: the root and the layers (bootstrap/),
    and the Applications rendered into clusters/<env>/ (charts and upstream git paths)."""
    files = rendered.files[env]
    units: list[Unit] = entry_points(LAYOUT, rendered)[("argocd", env)]
    needs: dict[str, Needs] = {}
    applied_by: list[tuple[str, Object, list[tuple[str, Object]] | None]] = []
    root = LAYOUT.bootstrap_dir / "argocd" / env / "root.yaml"
    (root_app,) = _docs(root)
    layers = sorted((root.parent / "layers").glob("*.yaml"))
    shown = [(LAYOUT.relative(p).as_posix(), d) for p in layers for d in _docs(p)]
    applied_by.append((LAYOUT.relative(root).as_posix(), root_app, shown))
    for unit in units:
        applied = [(f"{unit.folder}/", yaml.safe_load(files[name])) for name in unit.files]
        applied_by.append((unit.entry.path, unit.entry.obj, applied))
    for name, data in files.items():
        if (obj := yaml.safe_load(data))["kind"] == "Application":
            applied_by.append((f"clusters/{env}/{name}", obj, None))  # a chart, or a git path
    for where, app, applied in applied_by:
        spec = app["spec"]
        need = needs.setdefault(spec["project"], Needs())
        need.sources.add(spec["source"]["repoURL"])
        destination = spec["destination"].get("namespace", "")
        need.namespaces.add(destination)
        need.why.setdefault(destination, where)
        if applied is not None:
            need.add_objects(applied)
            continue
        source = spec["source"]
        chart = source.get("chart") or source.get("path", "").removeprefix(".")
        key = (source["repoURL"], chart, source["targetRevision"])
        assert key in CHARTS, (
            f"{where}: {key} is not in CHARTS: read what it installs at that version "
            "(its templates, with the rendered values) and add it"
        )
        contents = CHARTS[key]
        need.cluster |= contents.cluster
        need.namespaced |= contents.namespaced
        need.namespaces |= contents.elsewhere
        for item in (*contents.cluster, *contents.namespaced, *contents.elsewhere):
            need.why.setdefault(item, where)
    return needs


def _kinds(entries: list[Object] | None) -> set[tuple[str, ...]]:
    return {
        (e["group"], e["kind"], e["name"]) if e.get("name") else (e["group"], e["kind"])
        for e in entries or []
    }


@pytest.mark.parametrize("env", ENVS)
def test_every_argo_cd_application_names_one_of_its_environments_projects(env: str) -> None:
    projects = _projects(env)
    assert set(projects) == {
        "default",
        f"{env}-infra",
        CHARTS_PROJECT.format(env=env),
        f"{env}-apps",
    }
    assert set(_needs(env, committed(env))) == set(projects) - {"default"}


@pytest.mark.parametrize("env", ENVS)
def test_each_argo_cd_project_admits_exactly_what_its_applications_apply(env: str) -> None:
    """Sources, destination namespaces, cluster-scoped kinds (by name where git holds the
    object), namespaced kinds: each missing one would stop a sync, each extra one is a right
    nothing uses."""
    assert _project_mismatches(env, committed(env)) == []


def _project_mismatches(env: str, rendered: Rendered) -> list[str]:
    """What the projects of bootstrap/argocd/<env>/ lack, or allow for nothing, for `rendered`."""
    projects = _projects(env)
    wrong = []
    for name, need in sorted(_needs(env, rendered).items()):
        spec = projects[name]
        where = f"bootstrap/argocd/{env}/projects.yaml: {name}"
        for field, have, want in (
            ("sourceRepos", set(spec.get("sourceRepos") or ()), need.sources),
            (
                "destinations",
                {d.get("namespace", "") for d in spec.get("destinations") or ()},
                need.namespaces,
            ),
            (
                "clusterResourceWhitelist",
                _kinds(spec.get("clusterResourceWhitelist")),
                need.cluster,
            ),
            (
                "namespaceResourceWhitelist",
                _kinds(spec.get("namespaceResourceWhitelist")),
                need.namespaced,
            ),
        ):
            wrong += [
                f"{where}: add {item!r} to {field} ({need.why.get(item, '')} needs it)"
                for item in sorted(want - have)
            ]
            wrong += [
                f"{where}: remove {item!r} from {field} (nothing needs it)"
                for item in sorted(have - want)
            ]
        servers = {d.get("server") for d in spec.get("destinations") or ()}
        assert servers == {IN_CLUSTER}, where
        assert "namespaceResourceBlacklist" not in spec and "clusterResourceBlacklist" not in spec
    return wrong


@pytest.mark.parametrize("env", ENVS)
def test_the_layers_of_this_repository_come_from_it_and_the_app_layers_stay_in_their_namespace(
    env: str,
) -> None:
    projects = _projects(env)
    guestbook = f"guestbook-{env}"
    apps = projects[f"{env}-apps"]
    assert apps["sourceRepos"] == [REPO_URL]
    assert apps["destinations"] == [{"server": IN_CLUSTER, "namespace": guestbook}]
    assert apps["clusterResourceWhitelist"] == []
    assert projects[f"{env}-infra"]["sourceRepos"] == [REPO_URL]
    for name, spec in projects.items():
        kinds = _kinds(spec.get("namespaceResourceWhitelist"))
        assert ("argoproj.io", "AppProject") not in kinds, f"{name} may change the projects"


@pytest.mark.parametrize("env", ENVS)
def test_the_default_project_allows_nothing(env: str) -> None:
    """As Argo CD's documentation empties it (docs/user-guide/projects.md, v3.5.1), and no
    cluster-scoped kind either."""
    assert _projects(env)["default"] == {
        "sourceRepos": [],
        "sourceNamespaces": [],
        "destinations": [],
        "clusterResourceWhitelist": [],
        "namespaceResourceBlacklist": [{"group": "*", "kind": "*"}],
    }


def _resource(group: str, kind: str) -> str:
    """The resource of a kind: the vendored CRD's plural, else the API server's own guess for
    built-in kinds (kubernetes/apimachinery pkg/api/meta/restmapper.go,
    UnsafeGuessKindToResource)."""
    for path in sorted((UPSTREAM_CRDS / group).glob("*.yaml")) if group else ():
        names = yaml.safe_load(path.read_text(encoding="utf-8"))["spec"]["names"]
        if names["kind"] == kind:
            return str(names["plural"])
    lower = kind.lower()
    if lower.endswith("s"):
        return lower + "es"
    return lower[:-1] + "ies" if lower.endswith("y") else lower + "s"


APPLY = ["get", "list", "create", "patch", "delete"]
READ = ["get", "list"]


@pytest.mark.parametrize("env", ENVS)
def test_flux_applies_the_app_layers_as_an_account_allowed_exactly_their_kinds(env: str) -> None:
    rendered = committed(env)
    files = rendered.files[env]
    units = entry_points(LAYOUT, rendered)[("flux", env)]
    entries = [
        d for p in sorted((LAYOUT.bootstrap_dir / "flux" / env).glob("*.yaml")) for d in _docs(p)
    ]
    accounts = {
        (d["metadata"]["namespace"], d["metadata"]["name"])
        for d in entries
        if d["kind"] == "ServiceAccount"
    }
    guestbook = LAYERS.of_app("guestbook")
    app_layers = set(guestbook.by_component.values()) - {"infra-configs"}
    assert app_layers == {"data", "app"}
    objects = {name: yaml.safe_load(data) for name, data in files.items()}
    for unit in units:
        spec = unit.entry.obj["spec"]
        if unit.layer not in app_layers:
            assert "serviceAccountName" not in spec, f"{unit.entry.path}: infra keeps its rights"
            continue
        account = (unit.entry.namespace, spec.get("serviceAccountName"))
        assert account in accounts, f"{unit.entry.path}: {account} is not in bootstrap/flux/{env}/"
        applied = [objects[name] for name in unit.files]
        (namespace,) = {o["metadata"]["namespace"] for o in applied}
        bindings = [
            o
            for o in objects.values()
            if o["kind"] == "RoleBinding"
            and o["metadata"]["namespace"] == namespace
            and {"kind": "ServiceAccount", "name": account[1], "namespace": account[0]}
            in o["subjects"]
        ]
        (binding,) = bindings
        assert binding["roleRef"]["kind"] == "Role"
        (role,) = [
            o
            for o in objects.values()
            if (o["kind"], o["metadata"]["name"]) == ("Role", binding["roleRef"]["name"])
            and o["metadata"]["namespace"] == namespace
        ]
        earlier = {u.folder for u in units if u.entry.name in unit.earlier}
        for obj in (binding, role):
            (path,) = [n for n, o in objects.items() if o is obj]
            assert f"clusters/{env}/{path.rpartition('/')[0]}" in earlier, (
                f"{path} is not applied before {unit.folder}/"
            )
    assert _role_mismatches(env, rendered) == []


def _role_mismatches(env: str, rendered: Rendered) -> list[str]:
    """What the Role app-layers lacks, or grants for nothing, for the app layers of `rendered`."""
    objects = {name: yaml.safe_load(data) for name, data in rendered.files[env].items()}
    units = entry_points(LAYOUT, rendered)[("flux", env)]
    app_layers = {"data", "app"}
    applied = [objects[n] for u in units if u.layer in app_layers for n in u.files]
    want = {(_group(o), _resource(_group(o), o["kind"]), *APPLY) for o in applied}
    kinds = {o["kind"] for o in applied}
    if kinds & {"Deployment", "StatefulSet"}:
        want |= {("", "pods", *READ)}
    if "Deployment" in kinds:
        want |= {("apps", "replicasets", *READ)}
    (role,) = [
        o for o in objects.values() if (o["kind"], o["metadata"]["name"]) == ("Role", "app-layers")
    ]
    have = {
        (group, resource, *rule["verbs"])
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    source = "apps/guestbook/base/deployer.yaml (or the component that adds the kind)"
    role = f"the Role app-layers in {source}"
    missing = [f"{env}: add {item!r} to {role}" for item in sorted(want - have)]
    unused = [
        f"{env}: remove {item!r} from {role}: nothing needs it" for item in sorted(have - want)
    ]
    return missing + unused


def test_a_new_kind_fails_until_the_project_and_the_role_allow_it() -> None:
    """A ClusterRole in infra-configs and a Role in the app layer, rendered for dev."""
    files = dict(committed("dev").files["dev"])
    files["infra-configs/clusterrole-extra.yaml"] = (
        b"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: extra\n"
    )
    files["app/role-extra.yaml"] = (
        b"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: extra\n"
        b"  namespace: guestbook-dev\n"
    )
    rendered = Rendered(files={"dev": files})
    projects = "bootstrap/argocd/dev/projects.yaml"
    assert _project_mismatches("dev", rendered) == [
        f"{projects}: dev-apps: add ('rbac.authorization.k8s.io', 'Role') to "
        "namespaceResourceWhitelist (clusters/dev/app/ needs it)",
        f"{projects}: dev-infra: add ('rbac.authorization.k8s.io', 'ClusterRole', 'extra') to "
        "clusterResourceWhitelist (clusters/dev/infra-configs/ needs it)",
    ]
    assert _role_mismatches("dev", rendered) == [
        "dev: add ('rbac.authorization.k8s.io', 'roles', 'get', 'list', 'create', 'patch', "
        "'delete') to the Role app-layers in apps/guestbook/base/deployer.yaml (or the component "
        "that adds the kind)"
    ]


def _uncommented(text: str, first: str) -> str:
    """`text` with the commented block that starts at the line `# {first}` uncommented."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"# {first}")
    indent = lines[start].index("#")
    end = start
    while end < len(lines) and lines[end].startswith(" " * indent + "# "):
        end += 1
    block = [" " * indent + line[indent + 2 :] for line in lines[start:end]]
    return "".join(lines[:start] + block + lines[end:])


def _valid(obj: Object) -> list[str]:
    schema = crd_schema(obj["apiVersion"], obj["kind"])
    assert schema is not None
    errors = jsonschema.Draft7Validator(schema).iter_errors(obj)
    return sorted(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors)


@pytest.mark.parametrize("env", ENVS)
def test_flux_verifies_commit_signatures_once_its_switch_is_uncommented(env: str) -> None:
    path = LAYOUT.bootstrap_dir / "flux" / env / "source.yaml"
    text = path.read_text(encoding="utf-8")
    assert "verify" not in yaml.safe_load(text)["spec"], "off: this repository has no keys"
    source = yaml.safe_load(_uncommented(text, "verify:"))
    assert source["spec"]["verify"] == {"mode": "HEAD", "secretRef": {"name": "commit-signers"}}
    assert _valid(source) == []
    runbook = (LAYOUT.bootstrap_dir / "README.md").read_text(encoding="utf-8")
    assert "kubectl -n flux-system create secret generic commit-signers" in runbook


@pytest.mark.parametrize("env", ENVS)
def test_argo_cd_verifies_commit_signatures_once_its_switch_is_uncommented(env: str) -> None:
    """In the projects whose source is this repository; Helm and OCI sources cannot be verified
    (Argo CD docs/user-guide/source-integrity-git-gpg.md)."""
    path = LAYOUT.bootstrap_dir / "argocd" / env / "projects.yaml"
    text = path.read_text(encoding="utf-8")
    switched = text.replace("SIGNER_KEY_ID", "D56C4FCA57A46444")
    while re.search(r"^\s*# sourceIntegrity:$", switched, flags=re.MULTILINE):
        switched = _uncommented(switched, "sourceIntegrity:")
    on = {d["metadata"]["name"]: d for d in yaml.safe_load_all(switched)}
    verified = {name for name, d in on.items() if "sourceIntegrity" in d["spec"]}
    assert verified == {f"{env}-infra", f"{env}-apps"}
    for name in verified:
        assert on[name]["spec"]["sourceIntegrity"] == {
            "git": {
                "policies": [
                    {
                        "repos": [{"url": REPO_URL}],
                        "gpg": {"mode": "head", "keys": ["D56C4FCA57A46444"]},
                    }
                ]
            }
        }
        assert _valid(on[name]) == []
    assert all("sourceIntegrity" not in d["spec"] for d in yaml.safe_load_all(text))
    runbook = (LAYOUT.bootstrap_dir / "README.md").read_text(encoding="utf-8")
    assert "argocd-gpg-keys-cm" in runbook
