"""dev and prod differ exactly where their overlays say, and nowhere else.

The expected differences are read from the overlays themselves (namespace, images entry, public
host, JSON patches, components), not written down here: an overlay statement that has no effect in
the rendered state, or a difference that no overlay statement explains, fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from render_helpers import REPO, load_cluster

APPS = REPO / "apps" / "guestbook"
ENVS = ("dev", "prod")
Key = tuple[str, str]  # (kind, name) of an object, the name without a generated hash suffix
Path_ = tuple[Any, ...]


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _pointer(text: str) -> Path_:
    parts = text.strip("/").split("/") if "/" in text else text.split(".")
    return tuple(int(p) if p.isdigit() else p for p in parts)


class Overlay:
    """What one overlay states: read from its kustomization and the components it uses."""

    def __init__(self, env: str) -> None:
        self.dir = APPS / "overlays" / env
        self.data = _yaml(self.dir / "kustomization.yaml")
        self.components = [(self.dir / c).resolve() for c in self.data.get("components", [])]

    @property
    def namespace(self) -> str:
        return self.data["namespace"]

    def images(self) -> list[dict[str, Any]]:
        return self.data.get("images", [])

    def host(self) -> str:
        for resource in self.data["resources"]:
            path = self.dir / resource
            if path.is_file():
                for doc in _docs(path):
                    if doc["metadata"]["name"] == "guestbook-public-host":
                        return doc["data"]["host"]
        raise AssertionError(f"{self.dir}: no guestbook-public-host ConfigMap")

    def patches(self, component: Path | None = None) -> dict[tuple[Key, Path_], Any]:
        """{((kind, name), path): value} of the JSON patches of the overlay or a component."""
        data = self.data if component is None else _yaml(component / "kustomization.yaml")
        result = {}
        for patch in data.get("patches", []):
            key = (patch["target"]["kind"], patch["target"]["name"])
            for op in yaml.safe_load(patch["patch"]):
                result[(key, _pointer(op["path"]))] = (op["op"], op.get("value"))
        return result


def _component_objects(component: Path) -> set[Key]:
    data = _yaml(component / "kustomization.yaml")
    return {
        (doc["kind"], doc["metadata"]["name"])
        for resource in data.get("resources", [])
        for doc in _docs(component / resource)
    }


def _generated_names() -> list[str]:
    """Names of generated ConfigMaps (kustomize appends a content hash to them)."""
    names = []
    for path in APPS.rglob("kustomization.yaml"):
        names += [g["name"] for g in _yaml(path).get("configMapGenerator", [])]
    return sorted(set(names), key=len, reverse=True)


def _normalise(value: Any, hashed: re.Pattern[str]) -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v, hashed) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, hashed) for v in value]
    if isinstance(value, str):
        return hashed.sub(r"\1", value)
    return value


def _objects(env: str) -> dict[Key, dict[str, Any]]:
    names = "|".join(re.escape(n) for n in _generated_names())
    hashed = re.compile(rf"^({names})-[a-z0-9]{{10}}$")
    result = {}
    for raw in load_cluster(env).values():
        obj = _normalise(raw, hashed)
        name = "<namespace>" if obj["kind"] == "Namespace" else obj["metadata"]["name"]
        result[(obj["kind"], name)] = obj
    return result


def _leaves(value: Any, prefix: Path_ = ()) -> dict[Path_, Any]:
    if isinstance(value, dict) and value:
        return {p: v for k, item in value.items() for p, v in _leaves(item, (*prefix, k)).items()}
    if isinstance(value, list) and value:
        return {
            p: v for i, item in enumerate(value) for p, v in _leaves(item, (*prefix, i)).items()
        }
    return {prefix: value}


def _image_paths(obj: dict[str, Any], repositories: set[str]) -> list[Path_]:
    return [
        path
        for path, value in _leaves(obj).items()
        if path[-1] == "image"
        and isinstance(value, str)
        and value.split("@")[0].rsplit(":", 1)[0] in repositories
    ]


def _expectations(
    dev: Overlay, prod: Overlay, common: dict[Key, tuple[dict, dict]]
) -> tuple[dict[Key, set[Path_]], dict[Key, set[Path_]]]:
    """(explained, required): per object, the paths where a difference is explained by an overlay
    statement, and those where one must show because the statements differ."""
    explained: dict[Key, set[Path_]] = {key: set() for key in common}
    required: dict[Key, set[Path_]] = {key: set() for key in common}

    def state(key: Key, path: Path_, must: bool) -> None:
        if key in common:
            explained[key].add(path)
            if must:
                required[key].add(path)

    for key, (obj, _) in common.items():
        namespaced = "namespace" in obj["metadata"]
        field = ("metadata", "namespace") if namespaced else ("metadata", "name")
        if namespaced or key[0] == "Namespace":
            state(key, field, dev.namespace != prod.namespace)
    repositories = {i.get("newName", i["name"]) for o in (dev, prod) for i in o.images()}
    for key, pair in common.items():
        for path in {p for obj in pair for p in _image_paths(obj, repositories)}:
            state(key, path, dev.images() != prod.images())
    host_component = APPS / "components" / "public-host"
    for replacement in _yaml(host_component / "kustomization.yaml")["replacements"]:
        for target in replacement["targets"]:
            key = (target["select"]["kind"], target["select"]["name"])
            for field_path in target["fieldPaths"]:
                state(key, _pointer(field_path), dev.host() != prod.host())
    dev_patches, prod_patches = dev.patches(), prod.patches()
    for key, path in dev_patches.keys() | prod_patches.keys():
        state(key, path, dev_patches.get((key, path)) != prod_patches.get((key, path)))
    for component in set(dev.components) ^ set(prod.components):
        for key, path in dev.patches(component):
            state(key, path, must=True)
        data = _yaml(component / "kustomization.yaml")
        for generator in data.get("configMapGenerator", []):
            for literal in generator.get("literals", []):
                state(("ConfigMap", generator["name"]), ("data", literal.split("=")[0]), must=True)
    return explained, required


def test_dev_and_prod_differ_exactly_where_the_overlays_say() -> None:
    dev, prod = Overlay("dev"), Overlay("prod")
    objects = {env: _objects(env) for env in ENVS}
    only_prod = objects["prod"].keys() - objects["dev"].keys()
    only_dev = objects["dev"].keys() - objects["prod"].keys()
    expected_prod = set().union(
        *(_component_objects(c) for c in set(prod.components) - set(dev.components))
    )
    expected_dev = set().union(
        *(_component_objects(c) for c in set(dev.components) - set(prod.components))
    )
    assert (only_dev, only_prod) == (expected_dev, expected_prod)

    common = {
        k: (objects["dev"][k], objects["prod"][k])
        for k in objects["dev"].keys() & objects["prod"].keys()
    }
    explained, required = _expectations(dev, prod, common)
    unexplained, missing = [], []
    for key, (a, b) in sorted(common.items()):
        left, right = _leaves(a), _leaves(b)
        differing = {p for p in left.keys() | right.keys() if left.get(p) != right.get(p)}
        for path in sorted(differing, key=str):
            if not any(path[: len(prefix)] == prefix for prefix in explained[key]):
                unexplained.append(
                    f"{key}: {path}: dev {left.get(path)!r}, prod {right.get(path)!r}"
                )
        for prefix in required[key]:
            if not any(p[: len(prefix)] == prefix for p in differing):
                missing.append(f"{key}: {prefix}")
    assert unexplained == [], "differences no overlay states"
    assert missing == [], "overlay statements without effect"
    # the list, as a floor: each of these must be among the differences found
    assert {k for k, paths in required.items() if paths} >= {
        ("Deployment", "guestbook-web"),  # replicas (HPA in prod), resources, image
        ("Ingress", "guestbook-web"),  # host
        ("StatefulSet", "guestbook-postgres"),  # volume size, namespace
        ("Namespace", "<namespace>"),
    }
    assert ("HorizontalPodAutoscaler", "guestbook-web") in only_prod
    assert ("Deployment", "guestbook-redis-replica") in only_prod
