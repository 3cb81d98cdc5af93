"""What apps/guestbook states: the environments and their facts, and the layers."""

from __future__ import annotations

from pathlib import Path

from gitops.repo.environments import load_environments
from gitops.repo.layers import load_layers
from gitops.repo.layout import Layout


def test_the_environments_are_dev_and_prod(repo_root: Path) -> None:
    envs = load_environments(Layout(repo_root))
    assert [e.name for e in envs] == ["dev", "prod"]
    prod = envs[1]
    assert prod.image.require_digest is True
    assert set(prod.required_kinds) == {"HorizontalPodAutoscaler", "PodDisruptionBudget"}
    assert prod.namespace == "guestbook-prod"


def test_every_secret_statement_says_how_to_create_it(repo_root: Path) -> None:
    for env in load_environments(Layout(repo_root)):
        assert env.secrets, env.name
        for secret in env.secrets.values():
            assert secret.keys
            if secret.provider == "manual":
                assert f"-n {env.namespace} create secret generic {secret.name}" in secret.create


def test_the_layers_put_the_database_before_the_app(repo_root: Path) -> None:
    layers = load_layers(Layout(repo_root).layers_file, "layers.yaml")
    assert layers.names == ("data", "app")
    labelled = {"metadata": {"labels": {"app.kubernetes.io/component": "postgres"}}}
    assert layers.layer_of(labelled) == "data"
    assert layers.layer_of({"metadata": {"labels": {"app.kubernetes.io/component": "x"}}}) == "app"
    assert layers.layer_of({"metadata": {"name": "unlabelled"}}) == layers.default == "app"
