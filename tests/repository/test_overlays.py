"""dev and prod differ exactly where their overlays say, and nowhere else, for every app.

The expected differences are read from the overlays themselves (namespace, images entry, the
values that components copy from a local ConfigMap of the overlay: the public host, the
infrastructure's facts; JSON patches, components, the overlay's own resources such as its sealed
Secrets), not written down here: an overlay statement that has no effect in the rendered state,
or a difference that no overlay statement explains, fails the test. The Argo CD copies of the
controllers are derived from the Flux ones (tests/repository/test_infrastructure.py), so the
Flux view is compared.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops.repo.layout import Layout

ENVS = ("dev", "prod")
APPS = Layout(Path(__file__).resolve().parents[2]).app_names()  # at import: parametrize
Key = tuple[str, str]  # (kind, name) of an object, the name without a generated hash suffix
Path_ = tuple[Any, ...]


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _pointer(text: str) -> Path_:
    """A JSON pointer (or dotted path) as a path; `-` (append to a list) is the whole list."""
    parts = text.strip("/").split("/") if "/" in text else text.split(".")
    parts = parts[:-1] if parts[-1] == "-" else parts
    return tuple(int(p) if p.isdigit() else p for p in parts)


class Overlay:
    """What one overlay states: read from its kustomization and the components it uses."""

    def __init__(self, apps: Path, env: str) -> None:
        self.apps = apps
        self.dir = apps / "overlays" / env
        self.data = _yaml(self.dir / "kustomization.yaml")
        self.components = [(self.dir / c).resolve() for c in self.data.get("components", [])]

    @property
    def namespace(self) -> str | None:
        return self.data.get("namespace")

    def images(self) -> list[dict[str, Any]]:
        return self.data.get("images", [])

    def own_documents(self) -> list[dict[str, Any]]:
        """The documents of the files the overlay lists itself (not a base or a folder)."""
        return [
            doc
            for resource in self.data.get("resources", [])
            if (self.dir / resource).is_file()
            for doc in _docs(self.dir / resource)
        ]

    def local_config(self, name: str) -> dict[str, str]:
        """The data of the local-config ConfigMap `name` the overlay gives its components."""
        for doc in self.own_documents():
            annotations = doc["metadata"].get("annotations", {})
            if doc["metadata"]["name"] == name and "config.kubernetes.io/local-config" in (
                annotations
            ):
                return doc["data"]
        raise AssertionError(f"{self.dir}: no local-config ConfigMap {name}")

    def own_objects(self) -> set[Key]:
        """What the overlay's own files add to the rendered state (local config excluded)."""
        return {
            (doc["kind"], doc["metadata"]["name"])
            for doc in self.own_documents()
            if "config.kubernetes.io/local-config" not in doc["metadata"].get("annotations", {})
        }

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


def _objects(
    cluster: dict[str, dict[str, Any]], apps: Path, renamed: set[str]
) -> dict[Key, dict[str, Any]]:
    """The objects by (kind, name): generated names without their hash, and the name of a kind
    in `renamed` (the overlays set it) as "<name>"."""
    names = "|".join(re.escape(n) for n in _generated_names(apps)) or "(?!)"
    hashed = re.compile(rf"^({names})-[a-z0-9]{{10}}$")
    result = {}
    for raw in cluster.values():
        obj = _normalise(raw, hashed)
        name = "<name>" if obj["kind"] in renamed else obj["metadata"]["name"]
        key = (obj["kind"], name)
        assert key not in result, f"two objects {key}"
        result[key] = obj
    return result


def _renamed_kinds(dev: Overlay, prod: Overlay) -> set[str]:
    """Kinds whose name the overlays set: the Namespace (`namespace:`), and the targets of a
    replacement into metadata.name."""
    kinds = {"Namespace"} if dev.namespace or prod.namespace else set()
    for component in set(dev.components) & set(prod.components):
        for replacement in _yaml(component / "kustomization.yaml").get("replacements", []):
            for target in replacement["targets"]:
                if "metadata.name" in target["fieldPaths"]:
                    kinds.add(target["select"]["kind"])
    return kinds


def _field_path(obj: Any, text: str) -> Path_:
    """A kustomize fieldPath (`spec.listeners.[name=http].hostname`,
    `metadata.annotations.[a.b/c]`, `spec.hostnames.0`) as a path of keys and indexes in `obj`."""
    path: list[Any] = []
    for part in re.findall(r"\[[^\]]*\]|[^.\[\]]+", text):
        if part.startswith("[") and "=" in part and isinstance(obj, list):
            field, value = part[1:-1].split("=", 1)
            index = next(i for i, item in enumerate(obj) if item.get(field) == value)
            path.append(index)
            obj = obj[index]
        else:
            key: Any = part.strip("[]")
            key = int(key) if isinstance(obj, list) else key
            path.append(key)
            obj = obj[key] if isinstance(obj, list) or key in obj else {}
    return tuple(path)


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
        *_replacements(dev, prod, common),
        *_own_resources(dev, prod),
        *_patches(dev, prod),
        *_generators(dev, prod),
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
    found: list[Statement] = []
    if not (dev.namespace or prod.namespace):
        return found
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


def _replacements(
    dev: Overlay, prod: Overlay, common: dict[Key, tuple[dict, dict]]
) -> list[Statement]:
    """A component's replacements copy a value of the overlay's local ConfigMap (the public
    host, the infrastructure's facts) into the fields they target: a difference shows there
    where the two overlays' values differ."""
    found: list[Statement] = []
    for component in set(dev.components) & set(prod.components):
        for replacement in _yaml(component / "kustomization.yaml").get("replacements", []):
            source = replacement["source"]
            assert source["kind"] == "ConfigMap" and source["fieldPath"].startswith("data.")
            field = source["fieldPath"].removeprefix("data.")
            differs = (
                dev.local_config(source["name"])[field] != prod.local_config(source["name"])[field]
            )
            for target in replacement["targets"]:
                select = target["select"]
                found += [
                    (key, _field_path(obj, field_path), differs)
                    for key, (obj, _) in common.items()
                    if key[0] == select["kind"]
                    and select.get("name", obj["metadata"]["name"]) == obj["metadata"]["name"]
                    for field_path in target["fieldPaths"]
                ]
    return found


def _patches(dev: Overlay, prod: Overlay) -> list[Statement]:
    """The overlays' own JSON patches: a difference shows where the two patch differently."""
    dev_patches, prod_patches = dev.patches(), prod.patches()
    return [
        (key, path, dev_patches.get((key, path)) != prod_patches.get((key, path)))
        for key, path in dev_patches.keys() | prod_patches.keys()
    ]


def _own_resources(dev: Overlay, prod: Overlay) -> list[Statement]:
    """Objects that each overlay states in a file of its own (its sealed Secrets): wholly
    explained, each environment's its own."""
    return [(key, (), False) for key in dev.own_objects() | prod.own_objects()]


def _generators(dev: Overlay, prod: Overlay) -> list[Statement]:
    """The overlays' own configMapGenerator literals (merged into the base's ConfigMaps): a
    difference shows in that key where the two overlays' values differ."""

    def literals(overlay: Overlay) -> dict[tuple[Key, Path_], str]:
        return {
            (("ConfigMap", generator["name"]), ("data", literal.split("=", 1)[0])): literal
            for generator in overlay.data.get("configMapGenerator", [])
            for literal in generator.get("literals", [])
        }

    dev_literals, prod_literals = literals(dev), literals(prod)
    return [
        (key, path, dev_literals.get((key, path)) != prod_literals.get((key, path)))
        for key, path in dev_literals.keys() | prod_literals.keys()
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


FLOORS = {
    # the list: each of these must be among the differences found
    "guestbook": {
        ("Deployment", "guestbook-web"),  # replicas (HPA in prod), resources, image
        ("HTTPRoute", "guestbook-web"),  # host
        ("StatefulSet", "guestbook-postgres"),  # volume size, namespace
        ("Namespace", "<name>"),
    },
    "infrastructure": {
        ("ClusterIssuer", "<name>"),  # name, ACME directory
        ("Gateway", "public"),  # issuer, host, the guestbook's namespace
        ("HelmRelease", "metrics-server"),  # dev's kind kubelets
    },
}


@pytest.mark.parametrize("app", APPS)
def test_dev_and_prod_differ_exactly_where_the_overlays_say(
    app: str, repo_root: Path, load_cluster
) -> None:
    apps = repo_root / "apps" / app
    dev, prod = Overlay(apps, "dev"), Overlay(apps, "prod")
    renamed = _renamed_kinds(dev, prod)
    objects = {
        env: _objects(load_cluster(env).view("flux").of_app(app), apps, renamed) for env in ENVS
    }
    only_prod = objects["prod"].keys() - objects["dev"].keys()
    only_dev = objects["dev"].keys() - objects["prod"].keys()
    expected_prod = set().union(
        *(_component_objects(c) for c in set(prod.components) - set(dev.components)),
        prod.own_objects() - dev.own_objects(),
    )
    expected_dev = set().union(
        *(_component_objects(c) for c in set(dev.components) - set(prod.components)),
        dev.own_objects() - prod.own_objects(),
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
    assert {k for k, paths in required.items() if paths} >= FLOORS[app]
    if app == "guestbook":
        assert ("HorizontalPodAutoscaler", "guestbook-web") in only_prod
        assert ("Deployment", "guestbook-redis-replica") in only_prod
