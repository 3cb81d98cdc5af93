"""Repository mode on a small fixture repository (`tests/fixtures/validate-repo`): the render check
(GB501, GB503), each environment against its own facts, and bootstrap/ (GB502).

The renderer is replaced by one that returns the fixture's `rendered/<env>/` files, so these tests
need no kustomize; the real render is exercised by tests/integration/kustomize/ and
tests/repository/test_validate.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops.errors import ConfigError, ToolMissing
from gitops.render import state as render_state
from gitops.repo.layout import Layout
from gitops.validation.model import Finding
from gitops.validation.repository import controller_views, validate_repository

DEVICE_CLASS = (
    "apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata:\n  name: gpu\nspec: {}\n"
)


def fake_render(layout: Layout, env: str, kustomize: object = None) -> dict[str, bytes]:
    base = layout.root / "rendered" / env
    broken = base / "BROKEN"
    if broken.exists():
        raise ConfigError(broken.read_text().strip(), path=f"apps/guestbook/overlays/{env}", line=7)
    if (base / "NO-KUSTOMIZE").exists():
        raise ToolMissing("neither kustomize nor kubectl is on PATH")
    return {
        p.relative_to(base).as_posix(): p.read_bytes()
        for p in sorted(base.rglob("*.yaml"))
        if p.is_file()
    }


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixtures_dir: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(fixtures_dir / "validate-repo", root)
    shutil.copytree(root / "rendered", root / "clusters")
    monkeypatch.setattr(render_state, "render_environment", fake_render)
    monkeypatch.setattr(render_state, "find_kustomize", lambda: None)
    return root


def run(root: Path) -> list[Finding]:
    return validate_repository(Layout(root))


def found(root: Path) -> list[tuple[str, str, int]]:
    return [(f.rule, f.path, f.line) for f in run(root)]


def test_a_clean_repository_has_no_finding(repo: Path) -> None:
    assert run(repo) == []


def test_a_hand_edited_file_is_reported_at_its_first_changed_line(repo: Path) -> None:
    path = repo / "clusters/dev/app/service-web.yaml"
    path.write_text(path.read_text().replace("port: 80", "port: 81"))
    assert found(repo) == [("GB501", "clusters/dev/app/service-web.yaml", 12)]
    assert "differs from a fresh render" in run(repo)[0].message


def test_files_the_render_adds_or_removes(repo: Path) -> None:
    (repo / "clusters/prod/app/configmap-web.yaml").unlink()
    (repo / "clusters/prod/app/old.yaml").write_text("# stale\n")
    result = run(repo)
    assert [(f.rule, f.path, f.line) for f in result] == [
        ("GB501", "clusters/prod/app/configmap-web.yaml", 1),
        ("GB501", "clusters/prod/app/old.yaml", 1),
    ]
    assert "not in clusters/" in result[0].message
    assert "no longer produces" in result[1].message


def test_a_folder_of_an_environment_that_does_not_exist(repo: Path) -> None:
    (repo / "clusters/staging").mkdir()
    (repo / "clusters/staging/x.yaml").write_text("a: 1\n")
    result = run(repo)
    assert [(f.rule, f.path) for f in result] == [("GB501", "clusters/staging/x.yaml")]
    assert "there is no environment 'staging'" in result[0].message


def test_an_environment_that_does_not_render(repo: Path) -> None:
    (repo / "rendered/prod/BROKEN").write_text("kustomize build failed: no such file base/x.yaml\n")
    result = run(repo)
    assert [(f.rule, f.path, f.line, f.object) for f in result] == [
        ("GB503", "apps/guestbook/overlays/prod", 7, "environment/prod")
    ]
    assert "no such file base/x.yaml" in result[0].message


def test_a_missing_kustomize_is_a_configuration_error(repo: Path) -> None:
    (repo / "rendered/dev/NO-KUSTOMIZE").write_text("")
    with pytest.raises(ToolMissing):
        run(repo)


def test_each_environment_is_checked_against_its_own_facts(repo: Path) -> None:
    for env in ("dev", "prod"):
        for folder in ("rendered", "clusters"):
            path = repo / folder / env / "app/deployment-web.yaml"
            text = path.read_text().replace("1.0.0@sha256:" + "1e" * 32, "1.0.0")
            path.write_text(text)
            (repo / folder / env / "app/deviceclass-gpu.yaml").write_text(DEVICE_CLASS)
    # dev (Kubernetes 1.34, tags allowed) is clean; prod (1.33, digests required) is not
    assert found(repo) == [
        ("GB414", "clusters/prod/app/deployment-web.yaml", 26),
        ("GB103", "clusters/prod/app/deviceclass-gpu.yaml", 2),
    ]


def test_findings_about_the_facts_point_at_the_facts_file(repo: Path) -> None:
    for folder in ("rendered", "clusters"):
        (repo / folder / "prod/app/poddisruptionbudget-web.yaml").unlink()
    result = run(repo)
    assert [(f.rule, f.path, f.line, f.object) for f in result] == [
        ("GB416", "apps/environments/prod/environment.yaml", 3, "environment/prod")
    ]


def test_bootstrap_paths_must_exist(repo: Path) -> None:
    path = repo / "bootstrap/argocd/dev.yaml"
    path.write_text(path.read_text().replace("clusters/dev/app", "clusters/dev/ap"))
    flux = repo / "bootstrap/flux/prod/kustomization.yaml"
    flux.write_text(flux.read_text().replace("./clusters/prod", "../elsewhere"))
    result = run(repo)
    assert [(f.rule, f.path, f.line) for f in result] == [
        ("GB502", "bootstrap/argocd/dev.yaml", 12),
        ("GB502", "bootstrap/flux/prod/kustomization.yaml", 9),
    ]
    assert "did you mean 'clusters/dev/app'?" in result[0].message
    assert "without '..'" in result[1].message


def test_bootstrap_objects_are_schema_checked(repo: Path) -> None:
    path = repo / "bootstrap/flux/prod/source.yaml"
    path.write_text(path.read_text().replace("interval: 1m", "intervall: 1m"))
    result = run(repo)
    assert [(f.rule, f.path, f.line) for f in result] == [
        ("GB101", "bootstrap/flux/prod/source.yaml", 7),
        ("GB101", "bootstrap/flux/prod/source.yaml", 8),
    ]
    assert [f.message for f in result] == [
        "required field 'interval' is missing in spec",
        "unknown field 'intervall' in spec: did you mean 'interval'?",
    ]


def test_a_bootstrap_path_the_render_fills_counts_even_before_it_is_committed(repo: Path) -> None:
    shutil.rmtree(repo / "clusters/dev")
    result = run(repo)
    assert {f.rule for f in result} == {"GB501"}  # the missing files, not a GB502 as well


PER_CONTROLLER_LAYERS = """\
order: [tools, app]
perController: [tools]
apps:
  guestbook:
    default: app
"""
TOOLS_NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: tools
  labels:
    pod-security.kubernetes.io/enforce: restricted
"""


def test_controller_views_split_only_the_per_controller_folders(repo: Path) -> None:
    layout = Layout(repo)
    names = ["app/a.yaml", "tools/argocd/b.yaml", "tools/flux/c.yaml", "toolsx/d.yaml"]
    assert controller_views(layout, names) == [names]  # no layers file: one view
    (repo / "apps/layers.yaml").write_text(PER_CONTROLLER_LAYERS)
    assert controller_views(layout, names) == [
        ["app/a.yaml", "tools/flux/c.yaml", "toolsx/d.yaml"],
        ["app/a.yaml", "tools/argocd/b.yaml", "toolsx/d.yaml"],
    ]
    assert controller_views(layout, ["app/a.yaml"]) == [["app/a.yaml"]]


def test_each_controller_is_checked_on_its_own_and_a_shared_finding_is_reported_once(
    repo: Path,
) -> None:
    """The same Namespace for Flux and for Argo CD is no duplicate (a cluster runs one
    controller); a problem of a shared file is one finding, not one per controller."""
    (repo / "apps/layers.yaml").write_text(PER_CONTROLLER_LAYERS)
    for folder in ("rendered", "clusters"):
        for controller in ("flux", "argocd"):
            path = repo / folder / "prod/tools" / controller / "namespace-tools.yaml"
            path.parent.mkdir(parents=True)
            path.write_text(TOOLS_NAMESPACE)
    assert found(repo) == []
    for folder in ("rendered", "clusters"):
        path = repo / folder / "prod/app/deployment-web.yaml"
        path.write_text(path.read_text().replace("1.0.0@sha256:" + "1e" * 32, "1.0.0"))
    assert found(repo) == [("GB414", "clusters/prod/app/deployment-web.yaml", 26)]


def test_an_application_of_the_default_project_or_of_one_not_defined(repo: Path) -> None:
    """GB505: `default` allows everything; a project no AppProject defines is never synced."""
    path = repo / "bootstrap/argocd/dev.yaml"
    text = path.read_text()
    path.write_text(text.replace("project: guestbook", "project: default"))
    result = run(repo)
    assert [(f.rule, f.path, f.line, f.object) for f in result] == [
        ("GB505", "bootstrap/argocd/dev.yaml", 8, "Application/argocd/guestbook-dev")
    ]
    assert result[0].message.startswith("uses the project 'default', which Argo CD creates")
    path.write_text(text.replace("project: guestbook", "project: guestbok"))
    (finding,) = run(repo)
    assert finding.message.startswith(
        "uses the project 'guestbok', which no AppProject defines for environment dev "
        "(defined: guestbook)"
    )


def test_a_project_defined_for_another_environment_only_is_not_defined(repo: Path) -> None:
    """A cluster receives the AppProjects of its own environment's folder (and of none)."""
    (repo / "bootstrap/argocd/project.yaml").rename(repo / "bootstrap/argocd/prod.yaml")
    assert found(repo) == [("GB505", "bootstrap/argocd/dev.yaml", 8)]


def test_a_flux_layer_of_only_namespaced_objects_must_impersonate(repo: Path) -> None:
    """GB505: prod's Kustomization applies a Namespace (cluster-scoped): fine with the
    controller's rights. Without it the folder holds only namespaced objects, which a Role
    can allow: then it must name an account to apply them as."""
    for folder in ("rendered", "clusters"):
        (repo / folder / "prod/app/namespace-guestbook-prod.yaml").unlink()
    result = run(repo)
    assert [(f.rule, f.path, f.line) for f in result] == [
        ("GB505", "bootstrap/flux/prod/kustomization.yaml", 7)
    ]
    assert result[0].message == (
        "applies clusters/prod/, where every object is namespaced (in guestbook-prod), with "
        "kustomize-controller's cluster-wide rights: set spec.serviceAccountName to a "
        "ServiceAccount of flux-system that a Role in guestbook-prod allows to apply them "
        "(bootstrap/README.md)"
    )
    path = repo / "bootstrap/flux/prod/kustomization.yaml"
    path.write_text(
        path.read_text().replace("  prune: true\n", "  prune: true\n  serviceAccountName: app\n")
    )
    assert run(repo) == []
