"""What apps/ states: the environments and their facts, the apps, the layers, and how every Secret
the guestbook's workloads reference is provided (sealed in git, for that environment)."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops.repo.environments import environment_names, load_environment, load_environments
from gitops.repo.layers import load_layers
from gitops.repo.layout import Layout
from gitops.secrets.certificate import load_certificate
from gitops.secrets.sealing import scope_of

REPO = Path(__file__).resolve().parents[2]  # at import: the environments parametrize the tests
LAYOUT = Layout(REPO)
ENVS = environment_names(LAYOUT)


def test_the_environments_are_dev_and_prod(repo_root: Path) -> None:
    envs = load_environments(Layout(repo_root))
    assert [e.name for e in envs] == ["dev", "prod"]
    dev, prod = envs
    assert prod.apps["guestbook"].image is not None
    assert prod.apps["guestbook"].image.require_digest is True
    assert prod.require_digest is True
    assert set(prod.required_kinds) == {"HorizontalPodAutoscaler", "PodDisruptionBudget"}
    assert prod.apps["guestbook"].namespace == "guestbook-prod"
    assert dev.apps["guestbook"].namespace == "guestbook-dev"
    assert dev.apps["guestbook"].host != prod.apps["guestbook"].host
    # dev issues from Let's Encrypt's staging directory, prod from the production one
    assert dev.certificates is not None and prod.certificates is not None
    assert "staging" in dev.certificates.server and "staging" not in prod.certificates.server


def test_the_apps_are_the_guestbook_and_its_infrastructure_in_every_environment() -> None:
    assert LAYOUT.app_names() == ["guestbook", "infrastructure"]
    for app, env in itertools.product(LAYOUT.app_names(), ENVS):
        assert (LAYOUT.overlay_dir(app, env) / "kustomization.yaml").is_file(), (app, env)


def test_the_layers_put_the_database_before_the_app() -> None:
    """Controllers, then what they serve, then the data (the sealed Secrets, PostgreSQL and
    Redis), then the app: what needs something comes after what provides it."""
    layers = load_layers(LAYOUT.layers_file, "layers.yaml")
    assert layers.order == ("infra-controllers", "infra-configs", "data", "app")
    assert layers.per_controller == frozenset({"infra-controllers"})
    guestbook = layers.of_app("guestbook")
    for component in ("platform", "secrets", "postgres", "redis", "redis-replica"):
        assert guestbook.by_component[component] == "data", component
    for component in ("web", "migrate"):
        assert guestbook.by_component[component] == "app", component
    labelled = {"metadata": {"labels": {"app.kubernetes.io/component": "postgres"}}}
    assert guestbook.layer_of(labelled) == "data"
    assert guestbook.layer_of({"metadata": {"labels": {"app.kubernetes.io/component": "x"}}}) == (
        "app"
    )
    assert guestbook.layer_of({"metadata": {"name": "unlabelled"}}) == guestbook.default == "app"
    infrastructure = layers.of_app("infrastructure")
    assert infrastructure.by_component == {"controllers": "infra-controllers"}
    assert infrastructure.default == "infra-configs"
    order = layers.order
    assert order.index("infra-controllers") < order.index("infra-configs") < order.index("data")
    assert order.index("data") < order.index("app")


# ---- every Secret a workload references is sealed in git, for its environment


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _rendered(env: str) -> list[dict[str, Any]]:
    """The objects of clusters/<env>/ that the guestbook's overlay made."""
    header = f"from apps/guestbook/overlays/{env};"
    return [
        doc
        for path in sorted(LAYOUT.cluster_dir(env).rglob("*.yaml"))
        if header in path.read_text(encoding="utf-8").splitlines()[0]
        for doc in _docs(path)
    ]


Ref = tuple[str, str | None]  # (Secret name, key or None for the whole Secret)


def _secret_refs(objects: list[dict[str, Any]]) -> Iterator[tuple[str, str, str | None]]:
    """(workload, Secret name, key or None for the whole Secret) of every reference a pod
    template makes: env, envFrom, volumes (projected ones too)."""
    for obj in objects:
        spec = (obj.get("spec") or {}).get("template", {}).get("spec")
        if isinstance(spec, dict):
            who = f"{obj['kind']}/{obj['metadata']['name']}"
            for container in [*spec.get("initContainers", []), *spec["containers"]]:
                yield from ((who, *ref) for ref in _container_refs(container))
            for volume in spec.get("volumes", []):
                yield from ((who, *ref) for ref in _volume_refs(volume))


def _container_refs(container: dict[str, Any]) -> Iterator[Ref]:
    for var in container.get("env", []):
        ref = (var.get("valueFrom") or {}).get("secretKeyRef")
        if ref and not ref.get("optional"):
            yield ref["name"], ref["key"]
    for source in container.get("envFrom", []):
        ref = source.get("secretRef")
        if ref and not ref.get("optional"):
            yield ref["name"], None


def _volume_refs(volume: dict[str, Any]) -> Iterator[Ref]:
    sources = list((volume.get("projected") or {}).get("sources", []))
    if "secret" in volume:
        sources.append({"secret": {**volume["secret"], "name": volume["secret"]["secretName"]}})
    for source in sources:
        if "secret" in source and not source["secret"].get("optional"):
            for item in source["secret"].get("items") or [{"key": None}]:
                yield source["secret"]["name"], item["key"]


@pytest.mark.parametrize("env", ENVS)
def test_every_referenced_secret_is_sealed_in_git_for_its_environment(env: str) -> None:
    """Each Secret a workload of the environment references is made by a SealedSecret of that
    environment's overlay whose encryptedData has every referenced key, sealed (strict scope)
    for exactly that namespace and name, with a key the size of the environment's certificate."""
    namespace = load_environment(LAYOUT, env).apps["guestbook"].namespace
    objects = _rendered(env)
    sealed = {s["metadata"]["name"]: s for s in objects if s["kind"] == "SealedSecret"}
    refs = list(_secret_refs(objects))
    assert refs, "no workload references a Secret"
    certificate = load_certificate(
        LAYOUT.sealing_certificate(env).read_bytes(), LAYOUT.sealing_certificate(env)
    )
    rsa_bytes = certificate.public_key.key_size // 8
    for workload, name, key in refs:
        assert name in sealed, f"{workload}: Secret {name} is not sealed in {env}"
        secret = sealed[name]
        items = secret["spec"]["encryptedData"]
        assert key is None or key in items, f"{workload}: {name} has no key {key!r}"
        assert (secret["metadata"]["namespace"], secret["metadata"]["name"]) == (namespace, name)
        template = secret["spec"]["template"]["metadata"]
        assert (template["namespace"], template["name"]) == (namespace, name)
        assert scope_of(secret) == "strict"
        for item, value in items.items():
            data = base64.b64decode(value, validate=True)
            # the layout of a sealed value: 2-byte length, RSA-OAEP session key, AES-GCM data
            assert int.from_bytes(data[:2], "big") == rsa_bytes, f"{name}.{item}"
            assert len(data) > 2 + rsa_bytes + 16, f"{name}.{item}"


@pytest.mark.parametrize("env", ENVS)
def test_each_sealed_secret_is_a_file_of_the_overlay_listed_in_its_resources(env: str) -> None:
    """Sealed with `nox -s seal` for this environment (its header says so), carrying the
    component that puts it in the data layer, and listed in the overlay."""
    overlay = LAYOUT.overlay_dir("guestbook", env)
    resources = yaml.safe_load((overlay / "kustomization.yaml").read_text())["resources"]
    files = sorted((overlay / "secrets").glob("*.yaml"))
    assert files, f"{env}: no sealed Secret"
    for path in files:
        (document,) = _docs(path)
        assert document["kind"] == "SealedSecret", path
        assert path.stem == document["metadata"]["name"]
        assert f"secrets/{path.name}" in resources
        assert document["metadata"]["labels"]["app.kubernetes.io/component"] == "secrets"
        assert path.read_text().startswith(
            f"# Sealed for {env} with apps/environments/{env}/sealed-secrets.pem"
        )


def test_no_sealed_value_is_shared_between_environments() -> None:
    """A value sealed for dev's controller cannot open in prod (nor the other way round)."""
    values: dict[str, str] = {}
    for env in ENVS:
        for doc in _rendered(env):
            if doc["kind"] == "SealedSecret":
                for item, value in doc["spec"]["encryptedData"].items():
                    assert value not in values, f"{env} {item} is {values.get(value)}'s value"
                    values[value] = f"{env}/{doc['metadata']['name']}.{item}"


def test_the_environments_certificates_are_public_certificates() -> None:
    """The controllers' public certificates are committed, their private keys are not."""
    pems = [LAYOUT.sealing_certificate(env) for env in ENVS]
    for pem in pems:
        certificate = load_certificate(pem.read_bytes(), pem)
        assert certificate.warning is None, certificate.warning
    assert len({pem.read_bytes() for pem in pems}) == len(pems)
    for path in REPO.joinpath("apps").rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY-----" not in path.read_bytes(), path
