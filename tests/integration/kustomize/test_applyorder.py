"""GB504 applied-too-early on a copy of this repository, rendered by kustomize: clean as it is,
and each way of applying something before what it needs is reported, for each controller whose
order it breaks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from gitops.render import sync
from gitops.render.state import render_all
from gitops.repo.layout import Layout
from gitops.validation.model import Finding
from gitops.validation.repository import validate_repository

WIDGETS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
  labels:
    app.kubernetes.io/component: web
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: gadget
  labels:
    app.kubernetes.io/component: platform
"""


@pytest.fixture
def repo(tmp_path: Path, copy_repo: Callable[[Path], Layout]) -> Layout:
    """A copy of this repository's apps/, clusters/ and bootstrap/."""
    return copy_repo(tmp_path / "repo")


def edit(layout: Layout, relative: str, old: str, new: str) -> None:
    path = layout.root / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {relative}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def gb504(layout: Layout) -> list[Finding]:
    """Render the copy, write clusters/, validate it: the GB504 findings."""
    rendered = render_all(layout)
    sync.write(layout, rendered)
    return [f for f in validate_repository(layout, rendered) if f.rule == "GB504"]


def by_controller(findings: list[Finding]) -> dict[str, set[tuple[str, int, str]]]:
    """{"Flux": {(path, line, object)}, "Argo CD": ...} of the findings about objects."""
    found: dict[str, set[tuple[str, int, str]]] = {"Flux": set(), "Argo CD": set()}
    for f in findings:
        controller = "Argo CD" if " by Argo CD (" in f.message else "Flux"
        found[controller].add((f.path, f.line, f.object))
    return found


def test_the_repository_as_it_is_applies_nothing_too_early(repo: Layout) -> None:
    assert gb504(repo) == []


def test_the_cluster_issuer_moved_to_the_app_layer(repo: Layout) -> None:
    edit(
        repo,
        "apps/infrastructure/configs/clusterissuer.yaml",
        "  name: ISSUER\n",
        "  name: ISSUER\n  labels:\n    app.kubernetes.io/component: issuer\n",
    )
    edit(
        repo,
        "apps/layers.yaml",
        "        - controllers\n",
        "        - controllers\n      app:\n        - issuer\n",
    )
    findings = gb504(repo)
    gateways = {
        ("clusters/dev/infra-configs/gateway-public.yaml", 8, "Gateway/gateway/public"),
        ("clusters/prod/infra-configs/gateway-public.yaml", 8, "Gateway/gateway/public"),
    }
    assert by_controller(findings) == {"Flux": gateways, "Argo CD": gateways}
    messages = sorted(f.message for f in findings if f.path.startswith("clusters/dev/"))
    assert messages == [
        "needs ClusterIssuer letsencrypt-staging, which only clusters/dev/app/ provides, applied "
        f"after clusters/dev/infra-configs/ by {how}; provide it in a layer applied earlier, or "
        "move this object to a later one"
        for how in ("Argo CD (sync wave 3 after 1)", "Flux (dev-app depends on dev-infra-configs)")
    ]


def test_a_custom_resource_before_the_layer_with_its_crd(repo: Layout) -> None:
    (repo.root / "apps/guestbook/base/widgets.yaml").write_text(WIDGETS, encoding="utf-8")
    edit(
        repo,
        "apps/guestbook/base/kustomization.yaml",
        "  - routes.yaml\n",
        "  - routes.yaml\n  - widgets.yaml\n",
    )
    findings = gb504(repo)
    widgets = {
        (f"clusters/{env}/data/widget-gadget.yaml", 2, f"Widget/guestbook-{env}/gadget")
        for env in ("dev", "prod")
    }
    assert by_controller(findings) == {"Flux": widgets, "Argo CD": widgets}
    assert all(
        f.message.startswith(
            "needs the CustomResourceDefinition of Widget.example.com, which only "
            f"clusters/{f.path.split('/')[1]}/app/ provides, applied after "
        )
        for f in findings
    )


def test_a_certificate_whose_issuer_comes_later(repo: Layout) -> None:
    certificate = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: internal
  labels:
    app.kubernetes.io/component: platform
spec:
  secretName: internal-tls
  dnsNames: [internal.example.com]
  issuerRef: {name: internal, kind: Issuer}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: internal
  labels:
    app.kubernetes.io/component: web
spec:
  selfSigned: {}
"""
    (repo.root / "apps/guestbook/base/internal.yaml").write_text(certificate, encoding="utf-8")
    edit(
        repo,
        "apps/guestbook/base/kustomization.yaml",
        "  - routes.yaml\n",
        "  - routes.yaml\n  - internal.yaml\n",
    )
    findings = [f for f in gb504(repo) if f.path.startswith("clusters/dev/")]
    expected = {
        ("clusters/dev/data/certificate-internal.yaml", 14, "Certificate/guestbook-dev/internal")
    }
    assert by_controller(findings) == {"Flux": expected, "Argo CD": expected}
    assert all(
        f.message.startswith("needs Issuer guestbook-dev/internal, which only clusters/dev/app/")
        for f in findings
    )


def test_the_flux_data_layer_depending_on_nothing(repo: Layout) -> None:
    edit(repo, "bootstrap/flux/dev/data.yaml", "  dependsOn:\n    - name: dev-infra-configs\n", "")
    findings = gb504(repo)
    entries = [(f.path, f.object) for f in findings if f.path.startswith("bootstrap/")]
    assert entries == [
        ("bootstrap/flux/dev/app.yaml", "Kustomization/flux-system/dev-app"),
        ("bootstrap/flux/dev/data.yaml", "Kustomization/flux-system/dev-data"),
    ]
    data = next(f for f in findings if f.path == "bootstrap/flux/dev/data.yaml")
    assert data.message == (
        "applies clusters/dev/data/, which apps/layers.yaml orders after infra-controllers, "
        "infra-configs, but Flux does not apply them before it: "
        "clusters/dev/infra-controllers/flux/ (no dependsOn path between dev-data and "
        "dev-infra-controllers), clusters/dev/infra-configs/ (no dependsOn path between dev-data "
        "and dev-infra-configs)"
    )
    objects = by_controller([f for f in findings if f.path.startswith("clusters/")])
    assert objects["Argo CD"] == set()
    # Every object of data/ and app/ needs the guestbook's Namespace, which infra-configs creates
    # (with the Role these layers are applied with); the sealed Secrets and routes need CRDs too.
    layers = [repo.cluster_dir("dev") / layer for layer in ("data", "app")]
    expected = set()
    for path in sorted(p for folder in layers for p in folder.glob("*.yaml")):
        obj = yaml.safe_load(path.read_text(encoding="utf-8"))
        expected.add(f"{obj['kind']}/{obj['metadata']['namespace']}/{obj['metadata']['name']}")
    assert {obj for _, _, obj in objects["Flux"]} == expected
    assert any(o.startswith("SealedSecret/") for o in expected)
    assert all(path.startswith("clusters/dev/") for path, _, _ in objects["Flux"])
    redis = next(f for f in findings if f.object == "Deployment/guestbook-dev/guestbook-redis")
    assert redis.message.startswith(
        "needs Namespace guestbook-dev, which only clusters/dev/infra-configs/ provides, applied "
        "in no order relative to clusters/dev/data/ by Flux"
    )


def test_an_argo_cd_layer_in_the_same_wave_as_the_one_before(repo: Layout) -> None:
    edit(repo, "bootstrap/argocd/prod/layers/app.yaml", 'sync-wave: "3"', 'sync-wave: "2"')
    findings = gb504(repo)
    assert [(f.path, f.object) for f in findings if f.path.startswith("bootstrap/")] == [
        ("bootstrap/argocd/prod/layers/app.yaml", "Application/argocd/prod-app")
    ]
    objects = by_controller([f for f in findings if f.path.startswith("clusters/")])
    assert objects["Flux"] == set()
    assert objects["Argo CD"] and all(
        path.startswith("clusters/prod/app/") for path, _, _ in objects["Argo CD"]
    )
    assert all(
        "(both sync wave 2)" in f.message for f in findings if f.path.startswith("clusters/")
    )
