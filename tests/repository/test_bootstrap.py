"""The controllers' entry points (bootstrap/): each environment has them for Argo CD and for Flux,
they apply the layers of apps/layers.yaml of that environment, each controller its own view of a
per-controller layer, in order (Flux: a dependsOn chain of Kustomizations that wait; Argo CD: an
app of apps whose layer Applications have sync waves in that order), with pruning, self-healing
and retries, and they use only fields the controllers' CRDs define."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from gitops.render.controllers import CONTROLLERS
from gitops.repo.environments import environment_names, load_environment
from gitops.repo.layers import load_layers
from gitops.repo.layout import Layout
from gitops.validation.crds import crd_schema

REPO = Path(__file__).resolve().parents[2]  # at import: environments and files parametrize
LAYOUT = Layout(REPO)
ENVS = environment_names(LAYOUT)
LAYERS = load_layers(LAYOUT.layers_file, "layers.yaml")
REPO_URL = "https://github.com/example/guestbook-gitops.git"
WAVE = "argocd.argoproj.io/sync-wave"


def _objects(folder: Path) -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(folder.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]


def _layer_of(path: str, env: str, controller: str) -> str:
    """`clusters/<env>/<layer>` (with or without ./), `clusters/<env>/<layer>/<controller>` for a
    per-controller layer: the layer; fails for anything else, or a folder that does not exist."""
    parts = Path(path.removeprefix("./")).parts
    assert parts[:2] == ("clusters", env), f"{path} is not in clusters/{env}/"
    layer = parts[2] if len(parts) > 2 else ""
    expected = 4 if layer in LAYERS.per_controller else 3
    assert len(parts) == expected, f"{path} is not a layer of {env} as {controller} applies it"
    if expected == 4:
        assert parts[3] == controller, f"{path}: {controller} must apply its own folder"
    assert layer in LAYERS.order, f"{path}: {layer!r} is not a layer"
    assert (REPO / Path(*parts)).is_dir(), f"{path} does not exist"
    return layer


def test_the_entry_points_apply_the_four_layers() -> None:
    assert LAYERS.order == ("infra-controllers", "infra-configs", "data", "app")


def test_every_environment_has_entry_points_for_both_controllers() -> None:
    flux = REPO / "bootstrap" / "flux"
    assert sorted(p.name for p in flux.iterdir() if p.is_dir()) == ENVS
    argocd = REPO / "bootstrap" / "argocd"
    assert sorted(p.name for p in argocd.iterdir() if p.is_dir()) == sorted([*ENVS, "install"])
    for env in ENVS:
        assert (argocd / env / "root.yaml").is_file()


def _destination(env: str, layer: str) -> set[str]:
    """The namespaces a layer's Application may sync into: a namespace the layer creates, or
    Argo CD's own for a layer of Applications, else (a layer of the guestbook's that creates
    none) the guestbook's."""
    facts = load_environment(LAYOUT, env).apps["guestbook"]
    guestbook = LAYERS.of_app("guestbook")
    folder = LAYOUT.cluster_dir(env) / layer
    created = {
        doc["metadata"]["name"]
        for path in folder.rglob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc and doc["kind"] == "Namespace"
    }
    if not created and layer in {guestbook.default, *guestbook.by_component.values()}:
        return {facts.namespace}
    return created | ({"argocd"} if layer in LAYERS.per_controller else set())


@pytest.mark.parametrize("env", ENVS)
def test_argo_cd_root_application_syncs_the_layer_applications(env: str) -> None:
    objects = _objects(REPO / "bootstrap" / "argocd" / env)
    assert {o["kind"] for o in objects} == {"Application", "AppProject"}
    (root,) = [o for o in objects if o["kind"] == "Application"]
    assert (root["kind"], root["metadata"]["name"]) == ("Application", f"{env}-root")
    assert root["spec"]["project"] == f"{env}-infra"
    assert root["metadata"]["namespace"] == "argocd"
    spec = root["spec"]
    assert spec["source"] == {
        "repoURL": REPO_URL,
        "targetRevision": "main",
        "path": f"bootstrap/argocd/{env}/layers",
        "directory": {"recurse": False},
    }
    assert spec["destination"]["namespace"] == "argocd"
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert spec["syncPolicy"]["retry"]["limit"] > 0


@pytest.mark.parametrize("env", ENVS)
def test_argo_cd_applications_sync_each_layer_in_order_of_their_waves(env: str) -> None:
    apps = _objects(REPO / "bootstrap" / "argocd" / env / "layers")
    assert {a["kind"] for a in apps} == {"Application"}
    waves = {}
    for app in apps:
        spec = app["spec"]
        layer = _layer_of(spec["source"]["path"], env, "argocd")
        assert layer not in waves, f"two Applications for {layer}"
        waves[layer] = int(app["metadata"]["annotations"][WAVE])
        assert app["metadata"]["name"] == f"{env}-{layer}"
        assert app["metadata"]["namespace"] == "argocd"
        assert spec["source"]["repoURL"] == REPO_URL
        assert spec["source"]["targetRevision"] == "main"
        assert spec["source"]["directory"] == {"recurse": False}
        assert spec["destination"]["server"] == "https://kubernetes.default.svc"
        assert spec["destination"]["namespace"] in _destination(env, layer), layer
        app_layer = layer in {"data", "app"}
        assert spec["project"] == f"{env}-apps" if app_layer else f"{env}-infra", layer
        policy = spec["syncPolicy"]
        assert policy["automated"] == {"prune": True, "selfHeal": True}
        assert policy["retry"]["limit"] > 0
    assert list(waves) and sorted(waves, key=waves.__getitem__) == list(LAYERS.order)
    assert sorted(waves.values()) == list(range(len(LAYERS.order)))


@pytest.mark.parametrize("env", ENVS)
def test_flux_kustomizations_apply_the_layers_in_order(env: str) -> None:
    objects = _objects(REPO / "bootstrap" / "flux" / env)
    (source,) = [o for o in objects if o["kind"] == "GitRepository"]
    assert source["spec"]["url"] == REPO_URL
    assert source["spec"]["ref"] == {"branch": "main"}
    kustomizations = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Kustomization"}
    by_layer = {}
    for name, ks in kustomizations.items():
        spec = ks["spec"]
        layer = _layer_of(spec["path"], env, "flux")
        assert layer not in by_layer, f"two Kustomizations for {layer}"
        by_layer[layer] = name
        assert name == f"{env}-{layer}"
        assert spec["sourceRef"] == {"kind": "GitRepository", "name": source["metadata"]["name"]}
        assert spec["prune"] is True and spec["wait"] is True
        assert spec["interval"] and spec["timeout"]
        assert ks["metadata"]["namespace"] == source["metadata"]["namespace"]
    assert sorted(by_layer) == sorted(LAYERS.order)
    for earlier, later in itertools.pairwise(LAYERS.order):
        depends = kustomizations[by_layer[later]]["spec"]["dependsOn"]
        assert depends == [{"name": by_layer[earlier]}]
    assert "dependsOn" not in kustomizations[by_layer[LAYERS.order[0]]]["spec"]


def _entry_points() -> list[tuple[str, dict[str, Any]]]:
    """The controllers' objects under bootstrap/ (bootstrap/argocd/install/ is Argo CD's own
    installation: a kustomization, a Namespace and a ConfigMap patch)."""
    return [
        (f"{path.relative_to(REPO)}", doc)
        for path in sorted((REPO / "bootstrap").rglob("*.yaml"))
        if "install" not in path.relative_to(REPO / "bootstrap").parts
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]


@pytest.mark.parametrize(
    ("where", "obj"), _entry_points(), ids=[f"{w}:{o['kind']}" for w, o in _entry_points()]
)
def test_entry_points_use_only_fields_of_the_controllers_crds(where: str, obj: dict) -> None:
    """Checked against the CRD schemas vendored in gitops.validation.crds (unknown fields are
    errors there); a built-in object (Flux's ServiceAccount) against Kubernetes' own schema, strict,
    for every environment's version."""
    schema = crd_schema(obj["apiVersion"], obj["kind"])
    if schema is None and "." not in obj["apiVersion"].partition("/")[0]:
        for env in ENVS:
            version = load_environment(LAYOUT, env).kubernetes_version
            kubernetes_validate.validate(obj, f"{version}.0", strict=True)
        return
    assert schema is not None, f"{where}: no vendored CRD schema for {obj['kind']}"
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(obj), key=str)
    assert [f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors] == [], where


def _api_versions(paths: list[Path]) -> list[tuple[Path, str]]:
    return [
        (path, doc["apiVersion"])
        for path in paths
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]


def test_controllers_never_see_each_others_objects() -> None:
    """Flux applies bootstrap/flux/<env>/ and clusters/ without the argocd/ folders; Argo CD
    bootstrap/argocd/<env>/ and clusters/ without the flux/ folders: neither gets an object of
    the other, and each gets its own only in its per-controller folder."""
    clusters = sorted((REPO / "clusters").rglob("*.yaml"))
    for controller, group in (("flux", "fluxcd.io"), ("argocd", "argoproj.io")):
        own = [p for p in clusters if controller in p.parts]
        others = [p for p in clusters if (set(CONTROLLERS) - {controller}) & set(p.parts)]
        assert own, f"no {controller}/ folder in clusters/"
        shared = [p for p in clusters if p not in own and p not in others]
        entry = sorted((REPO / "bootstrap" / controller).rglob("*.yaml"))
        entry = [p for p in entry if "install" not in p.relative_to(REPO / "bootstrap").parts]
        for path, api in _api_versions(shared + entry):
            other = "argoproj.io" if controller == "flux" else "fluxcd.io"
            assert other not in api, path
            if path in shared:
                assert group not in api, f"{path}: {controller}'s object outside {controller}/"


def test_the_runbook_names_existing_entry_points() -> None:
    """The root README links the runbook; the runbook's commands (shown for dev, the same for
    every environment) apply folders and files that exist for every environment."""
    assert "](bootstrap/README.md)" in (REPO / "README.md").read_text(encoding="utf-8")
    steps = (REPO / "bootstrap" / "README.md").read_text(encoding="utf-8")
    assert "kubectl apply -f bootstrap/flux/dev/" in steps
    assert "kubectl apply -f bootstrap/argocd/dev/root.yaml" in steps
    assert "kubectl apply -f bootstrap/argocd/dev/projects.yaml" in steps
    assert "kubectl apply -k bootstrap/argocd/install" in steps
    assert (REPO / "bootstrap" / "argocd" / "install" / "kustomization.yaml").is_file()
    for env in ENVS:
        assert (REPO / "bootstrap" / "flux" / env / "source.yaml").is_file()
        assert (REPO / "bootstrap" / "argocd" / env / "root.yaml").is_file()
        assert (REPO / "bootstrap" / "argocd" / env / "projects.yaml").is_file()
