"""The controllers' entry points (bootstrap/): each environment has them for Argo CD and for Flux,
they point at existing layers of that environment only, in order, with pruning, self-healing and
health checks, and they use only fields the controllers' CRDs define."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gitops.repo.environments import environment_names, load_environment
from gitops.repo.layers import load_layers
from gitops.repo.layout import Layout
from gitops.validation.crds import crd_schema

REPO = Path(__file__).resolve().parents[2]  # at import: environments and files parametrize
LAYOUT = Layout(REPO)
ENVS = environment_names(LAYOUT)
LAYERS = load_layers(LAYOUT.layers_file, "layers.yaml").names
REPO_URL = "https://github.com/example/guestbook-gitops.git"


def _objects(folder: Path) -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(folder.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]


def _layer_of(path: str, env: str) -> str:
    """`clusters/<env>/<layer>` (with or without ./): the layer; fails for anything else."""
    parts = Path(path.removeprefix("./")).parts
    assert parts[:2] == ("clusters", env) and len(parts) == 3, f"{path} is not a layer of {env}"
    assert (REPO / Path(*parts)).is_dir(), f"{path} does not exist"
    return parts[2]


def test_every_environment_has_entry_points_for_both_controllers() -> None:
    for controller in ("argocd", "flux"):
        folder = REPO / "bootstrap" / controller
        assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ENVS


@pytest.mark.parametrize("env", ENVS)
def test_argo_cd_applications_sync_each_layer_of_their_environment(env: str) -> None:
    facts = load_environment(LAYOUT, env)
    apps = _objects(REPO / "bootstrap" / "argocd" / env)
    assert {a["kind"] for a in apps} == {"Application"}
    layers = []
    for app in apps:
        spec = app["spec"]
        layer = _layer_of(spec["source"]["path"], env)
        layers.append(layer)
        assert app["metadata"]["name"] == f"guestbook-{env}-{layer}"
        assert spec["source"]["repoURL"] == REPO_URL
        assert spec["source"]["targetRevision"] == "main"
        assert spec["destination"]["namespace"] == facts.namespace
        policy = spec["syncPolicy"]
        assert policy["automated"] == {"prune": True, "selfHeal": True}
        assert policy["retry"]["limit"] > 0
    assert sorted(layers) == sorted(LAYERS)


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
        layer = _layer_of(spec["path"], env)
        by_layer[layer] = name
        assert name == f"guestbook-{env}-{layer}"
        assert spec["sourceRef"] == {"kind": "GitRepository", "name": source["metadata"]["name"]}
        assert spec["prune"] is True and spec["wait"] is True
        assert spec["interval"] and spec["timeout"]
        assert ks["metadata"]["namespace"] == source["metadata"]["namespace"]
    assert sorted(by_layer) == sorted(LAYERS)
    for earlier, later in itertools.pairwise(LAYERS):
        depends = kustomizations[by_layer[later]]["spec"]["dependsOn"]
        assert depends == [{"name": by_layer[earlier]}]
    assert "dependsOn" not in kustomizations[by_layer[LAYERS[0]]]["spec"]


def _entry_points() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{path.relative_to(REPO)}", doc)
        for path in sorted((REPO / "bootstrap").rglob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if doc
    ]


@pytest.mark.parametrize(
    ("where", "obj"), _entry_points(), ids=[f"{w}:{o['kind']}" for w, o in _entry_points()]
)
def test_entry_points_use_only_fields_of_the_controllers_crds(where: str, obj: dict) -> None:
    """Checked against the CRD schemas vendored in gitops.validation.crds (unknown fields are
    errors there); a kind not vendored yet is skipped and says so."""
    schema = crd_schema(obj["apiVersion"], obj["kind"])
    if schema is None:
        pytest.skip(f"no vendored CRD schema for {obj['apiVersion']} {obj['kind']} yet")
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(obj), key=str)
    assert [f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors] == [], where


def test_controllers_never_see_each_others_objects() -> None:
    """Flux applies bootstrap/flux/<env>/ (and clusters/), Argo CD clusters/: no Argo CD object in
    what Flux applies and none of either controller's objects in clusters/."""
    for path in (REPO / "bootstrap" / "flux").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert "argoproj.io" not in (doc or {}).get("apiVersion", ""), path
    for path in (REPO / "clusters").rglob("*.yaml"):
        api = yaml.safe_load(path.read_text(encoding="utf-8"))["apiVersion"]
        assert "argoproj.io" not in api and "fluxcd.io" not in api, path


def test_the_root_readme_links_the_bootstrap_steps() -> None:
    assert "](bootstrap/README.md)" in (REPO / "README.md").read_text(encoding="utf-8")
    steps = (REPO / "bootstrap" / "README.md").read_text(encoding="utf-8")
    for env in ENVS:
        assert f"kubectl apply -n argocd -f bootstrap/argocd/{env}/" in steps
        assert f"kubectl apply -f bootstrap/flux/{env}/" in steps
