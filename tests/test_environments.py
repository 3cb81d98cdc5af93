"""The environment facts files: what the pipeline reads, and how it complains."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops.errors import ConfigError
from gitops.repo.environments import environment_names, load_environment, load_environments
from gitops.repo.layout import Layout, find_root

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo_copy(tmp_path: Path) -> Layout:
    """A copy of this repository's overlays, to break without touching the real ones."""
    shutil.copytree(REPO / "apps", tmp_path / "apps")
    return Layout(tmp_path)


def test_repository_environments_are_dev_and_prod() -> None:
    envs = load_environments(Layout(REPO))
    assert [e.name for e in envs] == ["dev", "prod"]
    prod = envs[1]
    assert prod.image.require_digest is True
    assert set(prod.required_kinds) == {"HorizontalPodAutoscaler", "PodDisruptionBudget"}
    assert prod.namespace == "guestbook-prod"


def test_every_secret_statement_says_how_to_create_it() -> None:
    for env in load_environments(Layout(REPO)):
        assert env.secrets, env.name
        for secret in env.secrets.values():
            assert secret.keys
            if secret.provider == "manual":
                assert f"-n {env.namespace} create secret generic {secret.name}" in secret.create


def test_a_new_environment_is_a_folder(repo_copy: Layout) -> None:
    staging = repo_copy.overlay_dir("staging")
    shutil.copytree(repo_copy.overlay_dir("dev"), staging)
    assert environment_names(repo_copy) == ["dev", "prod", "staging"]
    assert load_environment(repo_copy, "staging").name == "staging"


def test_a_folder_without_facts_is_not_an_environment(repo_copy: Layout) -> None:
    (repo_copy.overlays_dir / "scratch").mkdir()
    assert "scratch" not in environment_names(repo_copy)


def test_unknown_environment_names_the_known_ones(repo_copy: Layout) -> None:
    with pytest.raises(ConfigError, match=r"unknown environment 'qa' \(known: dev, prod\)"):
        load_environment(repo_copy, "qa")


@pytest.mark.parametrize(
    ("old", "new", "message", "line"),
    [
        ('kubernetesVersion: "1.34"', "kubernetesVersion: 1.34.2", "kubernetesVersion", 3),
        ("requireDigest: false", "requireDigest: maybe", "requireDigest must be true or false", 9),
        ("namespace: guestbook-dev", "namespace: ''", "namespace", 4),
        ("    provider: manual", "    provider: vault", "provider must be one of", 15),
        ("requiredKinds: []", "requiredKinds: []\ncolour: blue", "unknown fact 'colour'", 11),
    ],
)
def test_bad_facts_name_file_and_line(
    repo_copy: Layout, old: str, new: str, message: str, line: int
) -> None:
    facts = repo_copy.overlay_dir("dev") / "environment.yaml"
    text = facts.read_text()
    assert old in text
    facts.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_environment(repo_copy, "dev")
    assert message in caught.value.message
    assert caught.value.path == Path("apps/guestbook/overlays/dev/environment.yaml")
    assert caught.value.line == line
    assert caught.value.exit_code == 2


def test_yaml_syntax_error_has_a_line(repo_copy: Layout) -> None:
    facts = repo_copy.overlay_dir("dev") / "environment.yaml"
    facts.write_text("namespace: [unclosed\nhost: x\n")
    with pytest.raises(ConfigError, match="not valid YAML") as caught:
        load_environment(repo_copy, "dev")
    assert caught.value.line is not None


def test_find_root_from_a_subfolder() -> None:
    assert find_root(REPO / "apps" / "guestbook") == REPO


def test_find_root_outside_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no apps/guestbook/overlays/ found"):
        find_root(tmp_path)
