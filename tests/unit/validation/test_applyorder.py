"""GB504 applied-too-early on small in-memory repositories: entry points written under a temporary
bootstrap/, the rendered state given as a `Rendered` (no kustomize)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from gitops.render.state import Rendered
from gitops.repo.layout import Layout
from gitops.validation.applyorder import check_apply_order
from gitops.validation.applyorder.needs import chart_groups, groups_under, repository_of
from gitops.validation.applyorder.order import entry_points
from gitops.validation.model import Finding
from gitops.validation.registry import all_rules

LAYERS = """\
order: [infra-controllers, infra-configs, data, app]
perController: [infra-controllers]
apps:
  demo:
    default: app
"""
LAYER_NAMES = ("infra-controllers", "infra-configs", "data", "app")


def flux(layer: str, depends: tuple[str, ...] | None = None) -> str:
    """A Flux Kustomization `dev-<layer>` of clusters/dev/<layer>[/flux]; by default it depends
    on the layer before it."""
    if depends is None:
        index = LAYER_NAMES.index(layer)
        depends = (LAYER_NAMES[index - 1],) if index else ()
    path = f"./clusters/dev/{layer}" + ("/flux" if layer == "infra-controllers" else "")
    listed = "".join(f"\n    - name: dev-{d}" for d in depends)
    return f"""\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: dev-{layer}
  namespace: flux-system
spec:
  dependsOn:{listed or " []"}
  sourceRef: {{kind: GitRepository, name: repo}}
  path: {path}
  prune: true
  interval: 10m
"""


def argocd(layer: str, wave: int | None = None) -> str:
    """An Argo CD Application `dev-<layer>` of clusters/dev/<layer>[/argocd] in sync wave
    `wave` (by default its place in the order)."""
    wave = LAYER_NAMES.index(layer) if wave is None else wave
    path = f"clusters/dev/{layer}" + ("/argocd" if layer == "infra-controllers" else "")
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: dev-{layer}
  namespace: argocd
  annotations:
    argocd.argoproj.io/sync-wave: "{wave}"
spec:
  project: default
  source: {{repoURL: https://example.com/repo.git, targetRevision: main, path: {path}}}
  destination: {{server: https://kubernetes.default.svc, namespace: default}}
"""


ROOT = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: dev-root
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.com/repo.git
    targetRevision: main
    path: bootstrap/argocd/dev/layers
  destination: {server: https://kubernetes.default.svc, namespace: argocd}
"""

SEALED_SECRETS_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: sealed-secrets, namespace: flux-system}
spec:
  chart:
    spec:
      chart: sealed-secrets
      sourceRef: {kind: HelmRepository, name: sealed-secrets}
"""
SEALED_SECRETS_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: sealed-secrets, namespace: argocd}
spec:
  project: default
  source:
    repoURL: https://bitnami-labs.github.io/sealed-secrets
    chart: sealed-secrets
    targetRevision: 2.18.5
  destination: {server: https://kubernetes.default.svc, namespace: kube-system}
"""
NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
SEALED_SECRET = """\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: db, namespace: shop}
spec:
  encryptedData: {password: AgB}
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: web:1
          env:
            - name: PASSWORD
              valueFrom:
                secretKeyRef:
                  name: db
                  key: password
"""
GATEWAY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
  namespace: shop
  annotations:
    cert-manager.io/cluster-issuer: acme
spec:
  gatewayClassName: envoy
  listeners:
    - {name: http, port: 80, protocol: HTTP}
"""
ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs:
    - name: public
  rules:
    - backendRefs: [{name: web, port: 80}]
"""
CLUSTER_ISSUER = """\
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: acme}
spec:
  selfSigned: {}
"""
CERTIFICATE = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: shop}
spec:
  secretName: web-tls
  dnsNames: [web.example.com]
  issuerRef:
    kind: ClusterIssuer
    name: acme
"""

# The layers as this repository has them: everything in its place.
GOOD = {
    "infra-controllers/flux/helmrelease-sealed-secrets.yaml": SEALED_SECRETS_RELEASE,
    "infra-controllers/argocd/application-sealed-secrets.yaml": SEALED_SECRETS_APP,
    "infra-configs/clusterissuer-acme.yaml": CLUSTER_ISSUER,
    "data/namespace-shop.yaml": NAMESPACE,
    "data/sealedsecret-db.yaml": SEALED_SECRET,
    "data/gateway-public.yaml": GATEWAY,
    "app/deployment-web.yaml": DEPLOYMENT,
    "app/httproute-web.yaml": ROUTE,
    "app/certificate-web.yaml": CERTIFICATE,
}

Check = Callable[..., list[Finding]]


@pytest.fixture
def check(tmp_path: Path) -> Check:
    """check(files, flux=..., argocd=...): GB504 findings for clusters/dev/ holding `files`
    (name -> YAML), entry points bootstrap/flux/dev/<name>.yaml and
    bootstrap/argocd/dev/layers/<name>.yaml (default: the four layers in order), ordered by
    apps/layers.yaml (none when `layers` is None)."""

    def run(
        files: Mapping[str, str],
        flux_files: Mapping[str, str] | None = None,
        argocd_files: Mapping[str, str] | None = None,
        layers: str | None = LAYERS,
    ) -> list[Finding]:
        if layers is not None:
            (tmp_path / "apps").mkdir(exist_ok=True)
            (tmp_path / "apps" / "layers.yaml").write_text(layers)
        if flux_files is None:
            flux_files = {layer: flux(layer) for layer in LAYER_NAMES}
        if argocd_files is None:
            argocd_files = {layer: argocd(layer) for layer in LAYER_NAMES}
        write(tmp_path / "bootstrap" / "flux" / "dev", flux_files)
        write(tmp_path / "bootstrap" / "argocd" / "dev" / "layers", argocd_files)
        if argocd_files:
            (tmp_path / "bootstrap" / "argocd" / "dev" / "root.yaml").write_text(ROOT)
        rendered = Rendered(files={"dev": {k: v.encode() for k, v in sorted(files.items())}})
        return check_apply_order(Layout(tmp_path), rendered)

    return run


def write(folder: Path, files: Mapping[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text)


def moved(**changes: str | None) -> dict[str, str]:
    """GOOD with some files moved: `old_name="new/name.yaml"` (None removes the file)."""
    files = dict(GOOD)
    for key, target in changes.items():
        name = next(n for n in files if n.endswith(f"/{key.replace('_', '-')}.yaml"))
        text = files.pop(name)
        if target:
            files[target] = text
    return files


def brief(findings: list[Finding]) -> list[tuple[str, int, str, str]]:
    return [(f.path, f.line, f.object, f.message.split(",")[0]) for f in findings]


def test_the_rule_is_registered_as_an_engine_error() -> None:
    rule = all_rules()["GB504"]
    assert (rule.name, rule.scope, rule.severity) == ("applied-too-early", "engine", "error")


def test_everything_in_its_place_gives_nothing(check: Check) -> None:
    assert check(GOOD) == []


def test_a_kind_whose_crd_a_later_layer_installs(check: Check) -> None:
    files = moved(
        helmrelease_sealed_secrets="app/helmrelease-sealed-secrets.yaml",
        application_sealed_secrets="app/application-sealed-secrets.yaml",
    )
    findings = check(files)
    assert (
        brief(findings)
        == [
            (
                "clusters/dev/data/sealedsecret-db.yaml",
                1,
                "SealedSecret/shop/db",
                "needs the CustomResourceDefinition of SealedSecret.bitnami.com",
            )
        ]
        * 2
    )
    messages = sorted(f.message for f in findings)
    assert messages[0].startswith(
        "needs the CustomResourceDefinition of SealedSecret.bitnami.com, which only "
        "clusters/dev/app/ provides, applied after clusters/dev/data/ by Argo CD "
        "(sync wave 3 after 2); "
    )
    assert (
        "by Flux (dev-app depends on dev-data); provide it in a layer applied earlier"
        in messages[1]
    )


def test_an_argo_oci_chart_provides_its_crds(check: Check) -> None:
    """Argo CD's OCI source (oci://, path ".") is the chart's own repository: Envoy Gateway's
    chart installs the Gateway API CRDs, so the data layer's Gateway needs it applied earlier."""
    application = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: envoy-gateway, namespace: argocd}
spec:
  project: default
  source:
    repoURL: oci://registry-1.docker.io/envoyproxy/gateway-helm
    path: .
    targetRevision: v1.9.0
  destination: {server: https://kubernetes.default.svc, namespace: envoy-gateway-system}
"""
    findings = check({**GOOD, "app/argocd/application-envoy-gateway.yaml": application})
    assert brief(findings) == [
        (
            "clusters/dev/data/gateway-public.yaml",
            1,
            "Gateway/shop/public",
            "needs the CustomResourceDefinition of Gateway.gateway.networking.k8s.io",
        )
    ]


def test_a_custom_resource_definition_object_in_a_later_layer(check: Check) -> None:
    crd = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true}]
"""
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\n"
    files = {**GOOD, "app/crd-widgets.yaml": crd, "data/widget-w.yaml": widget}
    findings = check(files)
    assert {(f.path, f.object) for f in findings} == {
        ("clusters/dev/data/widget-w.yaml", "Widget/shop/w")
    }
    assert len(findings) == 2  # Flux and Argo CD
    assert check({**files, "data/crd-widgets.yaml": files.pop("app/crd-widgets.yaml")}) == []


def test_a_namespace_only_a_later_layer_creates(check: Check) -> None:
    findings = check(moved(namespace_shop="app/namespace-shop.yaml"))
    assert {(f.path, f.line) for f in findings} == {
        ("clusters/dev/data/sealedsecret-db.yaml", 3),
        ("clusters/dev/data/gateway-public.yaml", 5),
    }
    assert all(
        f.message.startswith("needs Namespace shop, which only clusters/dev/app/") for f in findings
    )


def test_a_secret_or_a_key_only_a_later_layer_provides(check: Check) -> None:
    files = moved(
        sealedsecret_db="app/sealedsecret-db.yaml", deployment_web="data/deployment-web.yaml"
    )
    findings = check(files)
    assert {(f.path, f.line) for f in findings} == {("clusters/dev/data/deployment-web.yaml", 17)}
    assert findings[0].message.startswith(
        "needs key 'password' of Secret shop/db, which only clusters/dev/app/ provides"
    )
    files["data/sealedsecret-db.yaml"] = SEALED_SECRET.replace("password", "user")
    files["app/sealedsecret-db.yaml"] = SEALED_SECRET.replace("name: db", "name: db2")
    assert check(files) == []  # the key is provided nowhere: another rule's business
    files["app/sealedsecret-db.yaml"] = SEALED_SECRET
    assert len(check(files)) == 2


def test_a_gateway_and_an_issuer_from_a_later_layer(check: Check) -> None:
    files = moved(gateway_public="app/gateway-public.yaml", httproute_web="data/httproute-web.yaml")
    files["app/clusterissuer-acme.yaml"] = files.pop("infra-configs/clusterissuer-acme.yaml")
    files["data/certificate-web.yaml"] = files.pop("app/certificate-web.yaml")
    lines = {(f.path, f.line, f.message.split(",")[0]) for f in check(files)}
    assert lines == {
        ("clusters/dev/data/httproute-web.yaml", 6, "needs Gateway shop/public"),
        ("clusters/dev/data/certificate-web.yaml", 9, "needs ClusterIssuer acme"),
    }


def test_what_no_layer_provides_is_left_to_other_rules(check: Check) -> None:
    files = moved(clusterissuer_acme=None, gateway_public=None, sealedsecret_db=None)
    assert check(files) == []


def test_the_same_sync_wave_is_no_order(check: Check) -> None:
    waves = {layer: argocd(layer) for layer in LAYER_NAMES} | {"app": argocd("app", 2)}
    findings = check(GOOD, argocd_files=waves)
    entry = [f for f in findings if f.path.startswith("bootstrap/")]
    assert [(f.path, f.line, f.object) for f in entry] == [
        ("bootstrap/argocd/dev/layers/app.yaml", 7, "Application/argocd/dev-app")
    ]
    assert entry[0].message == (
        "applies clusters/dev/app/, which apps/layers.yaml orders after data, but Argo CD does "
        "not apply them before it: clusters/dev/data/ (both sync wave 2)"
    )
    needs = [f.message for f in findings if not f.path.startswith("bootstrap/")]
    assert needs and all(
        "in no order relative to clusters/dev/app/ by Argo CD (both sync wave 2)" in m
        for m in needs
    )


def test_a_flux_layer_that_depends_on_nothing(check: Check) -> None:
    layers = {layer: flux(layer) for layer in LAYER_NAMES} | {"data": flux("data", ())}
    findings = check(GOOD, flux_files=layers, argocd_files={})
    entry = [(f.path, f.line, f.message) for f in findings if f.path.startswith("bootstrap/")]
    wrong = (
        "which apps/layers.yaml orders after infra-controllers, infra-configs, but Flux does not "
        "apply them before it: clusters/dev/infra-controllers/flux/ (no dependsOn path between "
        "dev-{0} and dev-infra-controllers), clusters/dev/infra-configs/ (no dependsOn path "
        "between dev-{0} and dev-infra-configs)"
    )
    assert entry == [
        ("bootstrap/flux/dev/app.yaml", 7, f"applies clusters/dev/app/, {wrong.format('app')}"),
        ("bootstrap/flux/dev/data.yaml", 7, f"applies clusters/dev/data/, {wrong.format('data')}"),
    ]
    objects = {f.object for f in findings if not f.path.startswith("bootstrap/")}
    assert objects == {"SealedSecret/shop/db", "Gateway/shop/public", "Certificate/shop/web"}


def test_without_layers_file_only_the_objects_are_checked(check: Check) -> None:
    layers = {layer: flux(layer) for layer in LAYER_NAMES} | {"data": flux("data", ())}
    findings = check(GOOD, flux_files=layers, argocd_files={}, layers=None)
    assert findings and not any(f.path.startswith("bootstrap/") for f in findings)


def test_a_finding_can_be_suppressed_on_the_object(check: Check) -> None:
    files = moved(clusterissuer_acme="app/clusterissuer-acme.yaml")
    files["data/gateway-public.yaml"] = GATEWAY.replace(
        "  annotations:\n",
        '  annotations:\n    ignore-check.gitops/GB504: "issued later on purpose"\n',
    )
    assert check(files) == []


def test_entry_points_follow_the_app_of_apps_and_per_controller_folders(
    check: Check, tmp_path: Path
) -> None:
    check(GOOD)
    rendered = Rendered(files={"dev": {k: v.encode() for k, v in GOOD.items()}})
    plans = entry_points(Layout(tmp_path), rendered)
    argo = {u.entry.name: u for u in plans[("argocd", "dev")]}
    assert argo["dev-infra-controllers"].files == [
        "infra-controllers/argocd/application-sealed-secrets.yaml"
    ]
    assert argo["dev-app"].parent == "bootstrap/argocd/dev/layers"
    assert argo["dev-app"].earlier == {"dev-infra-controllers", "dev-infra-configs", "dev-data"}
    fluxes = {u.entry.name: u for u in plans[("flux", "dev")]}
    assert fluxes["dev-infra-controllers"].files == [
        "infra-controllers/flux/helmrelease-sealed-secrets.yaml"
    ]
    assert fluxes["dev-data"].earlier == {"dev-infra-controllers", "dev-infra-configs"}


def test_an_argo_application_without_recurse_applies_its_folder_only(
    check: Check, tmp_path: Path
) -> None:
    files = {**GOOD, "app/extra/httproute-other.yaml": ROUTE}
    check(files, flux_files={})
    rendered = Rendered(files={"dev": {k: v.encode() for k, v in files.items()}})
    app = next(
        u for u in entry_points(Layout(tmp_path), rendered)[("argocd", "dev")] if u.layer == "app"
    )
    assert "app/extra/httproute-other.yaml" not in app.files


@pytest.mark.parametrize(
    ("chart", "values", "skip", "groups"),
    [
        ("cert-manager", {}, False, set()),
        (
            "cert-manager",
            {"crds": {"enabled": True}},
            False,
            {"cert-manager.io", "acme.cert-manager.io"},
        ),
        ("cert-manager", {"installCRDs": True}, True, {"cert-manager.io", "acme.cert-manager.io"}),
        ("sealed-secrets", {}, False, {"bitnami.com"}),
        ("sealed-secrets", {}, True, set()),
        (
            "oci://docker.io/envoyproxy/gateway-helm",
            {},
            False,
            {"gateway.envoyproxy.io", "gateway.networking.k8s.io"},
        ),
        ("gateway-helm", {"crds": {"enabled": False}}, False, set()),
        ("metrics-server", {}, False, set()),
    ],
)
def test_chart_groups(chart: str, values: dict[str, object], skip: bool, groups: set[str]) -> None:
    assert chart_groups(chart, values, skip) == groups


def test_git_paths_come_from_the_vendored_sources() -> None:
    assert repository_of("https://github.com/kubernetes-sigs/gateway-api.git") == (
        "kubernetes-sigs/gateway-api"
    )
    assert groups_under("kubernetes-sigs/gateway-api", "./config/crd/standard") == {
        "gateway.networking.k8s.io"
    }
    assert groups_under("kubernetes-sigs/gateway-api", "config/crd/experimental") == {
        "gateway.networking.k8s.io",
        "gateway.networking.x-k8s.io",
    }
    envoy = "charts/gateway-helm/charts/crds/crds/generated"
    assert groups_under("envoyproxy/gateway", envoy) == {"gateway.envoyproxy.io"}
    assert groups_under("envoyproxy/gateway", "examples") == set()
    assert groups_under("example/other", ".") == set()
