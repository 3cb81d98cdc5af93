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

    def __init__(self, apps: Path, env: str) -> None:
        self.apps = apps
        self.dir = apps / "overlays" / env
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


def _generated_names(apps: Path) -> list[str]:
    """Names of generated ConfigMaps (kustomize appends a content hash to them)."""
    names = []
    for path in apps.rglob("kustomization.yaml"):
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


def _objects(cluster: dict[str, dict[str, Any]], apps: Path) -> dict[Key, dict[str, Any]]:
    names = "|".join(re.escape(n) for n in _generated_names(apps))
    hashed = re.compile(rf"^({names})-[a-z0-9]{{10}}$")
    result = {}
    for raw in cluster.values():
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


Statement = tuple[Key, Path_, bool]  # (object, path): a difference there is explained; must: shows


def _expectations(
    dev: Overlay, prod: Overlay, common: dict[Key, tuple[dict, dict]]
) -> tuple[dict[Key, set[Path_]], dict[Key, set[Path_]]]:
    """(explained, required): per object, the paths where a difference is explained by an overlay
    statement, and those where one must show because the statements differ."""
    explained: dict[Key, set[Path_]] = {key: set() for key in common}
    required: dict[Key, set[Path_]] = {key: set() for key in common}
    statements = [
        *_namespaces(dev, prod, common),
        *_images(dev, prod, common),
        *_hosts(dev, prod),
        *_patches(dev, prod),
        *_components(dev, prod),
    ]
    for key, path, must in statements:
        if key in common:
            explained[key].add(path)
            if must:
                required[key].add(path)
    return explained, required


def _namespaces(
    dev: Overlay, prod: Overlay, common: dict[Key, tuple[dict, dict]]
) -> list[Statement]:
    """`namespace:` sets every namespaced object's namespace, and names the Namespace."""
    found = []
    for key, (obj, _) in common.items():
        namespaced = "namespace" in obj["metadata"]
        if namespaced or key[0] == "Namespace":
            field = ("metadata", "namespace") if namespaced else ("metadata", "name")
            found.append((key, field, dev.namespace != prod.namespace))
    return found


def _images(dev: Overlay, prod: Overlay, common: dict[Key, tuple[dict, dict]]) -> list[Statement]:
    """`images:` sets every image of the repositories it names."""
    repositories = {i.get("newName", i["name"]) for o in (dev, prod) for i in o.images()}
    return [
        (key, path, dev.images() != prod.images())
        for key, pair in common.items()
        for path in {p for obj in pair for p in _image_paths(obj, repositories)}
    ]


def _hosts(dev: Overlay, prod: Overlay) -> list[Statement]:
    """The public-host component copies the overlay's host into the fields it targets."""
    host_component = dev.apps / "components" / "public-host"
    return [
        (
            (target["select"]["kind"], target["select"]["name"]),
            _pointer(field_path),
            dev.host() != prod.host(),
        )
        for replacement in _yaml(host_component / "kustomization.yaml")["replacements"]
        for target in replacement["targets"]
        for field_path in target["fieldPaths"]
    ]


def _patches(dev: Overlay, prod: Overlay) -> list[Statement]:
    """The overlays' own JSON patches: a difference shows where the two patch differently."""
    dev_patches, prod_patches = dev.patches(), prod.patches()
    return [
        (key, path, dev_patches.get((key, path)) != prod_patches.get((key, path)))
        for key, path in dev_patches.keys() | prod_patches.keys()
    ]


def _components(dev: Overlay, prod: Overlay) -> list[Statement]:
    """A component only one overlay uses: its patches and generated literals must show."""
    found: list[Statement] = []
    for component in set(dev.components) ^ set(prod.components):
        found += [(key, path, True) for key, path in dev.patches(component)]
        data = _yaml(component / "kustomization.yaml")
        found += [
            (("ConfigMap", generator["name"]), ("data", literal.split("=")[0]), True)
            for generator in data.get("configMapGenerator", [])
            for literal in generator.get("literals", [])
        ]
    return found


def test_dev_and_prod_differ_exactly_where_the_overlays_say(repo_root: Path, load_cluster) -> None:
    apps = repo_root / "apps" / "guestbook"
    dev, prod = Overlay(apps, "dev"), Overlay(apps, "prod")
    objects = {env: _objects(load_cluster(env), apps) for env in ENVS}
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
