"""The environment facts files: what the pipeline reads, and how it complains."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops.errors import ConfigError
from gitops.repo.environments import environment_names, load_environment
from gitops.repo.layout import Layout


@pytest.fixture
def repo_copy(tmp_path: Path, repo_root: Path) -> Layout:
    """A copy of this repository's overlays, to break without touching the real ones."""
    shutil.copytree(repo_root / "apps", tmp_path / "apps")
    return Layout(tmp_path)


def test_a_new_environment_is_a_folder(repo_copy: Layout) -> None:
    staging = repo_copy.overlay_dir("staging")
    shutil.copytree(repo_copy.overlay_dir("dev"), staging)
    assert environment_names(repo_copy) == ["dev", "prod", "staging"]
    assert load_environment(repo_copy, "staging").name == "staging"


def test_an_overlay_folder_without_facts_is_a_configuration_error(repo_copy: Layout) -> None:
    """Every overlay folder is an environment: one without facts must not quietly stop being
    rendered (render would then have deleted its clusters/ folder)."""
    (repo_copy.overlays_dir / "scratch").mkdir()
    with pytest.raises(ConfigError, match=r"apps/guestbook/overlays/scratch/ has no environment"):
        environment_names(repo_copy)


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
