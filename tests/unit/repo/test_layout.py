"""Where things live (`repo.layout`): the repository's root, the apps it has, and the paths of an
environment's facts, certificate and overlays."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.errors import ConfigError
from gitops.repo.layout import Layout, find_root


def test_find_root_from_a_subfolder(repo_root: Path) -> None:
    assert find_root(repo_root / "apps" / "guestbook") == repo_root


def test_find_root_outside_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no apps/environments/ found") as caught:
        find_root(tmp_path)
    assert caught.value.exit_code == 2


def test_the_apps_are_the_folders_of_apps_with_overlays(tmp_path: Path) -> None:
    """An app is discovered, not declared: apps/environments/ (no overlays/), a hidden folder and
    a file are not apps."""
    for folder in ("guestbook/overlays", "infrastructure/overlays", ".old/overlays", "shared"):
        (tmp_path / "apps" / folder).mkdir(parents=True)
    (tmp_path / "apps" / "environments" / "dev").mkdir(parents=True)
    (tmp_path / "apps" / "layers.yaml").write_text("order: []\n")
    assert Layout(tmp_path).app_names() == ["guestbook", "infrastructure"]
    assert Layout(tmp_path / "nowhere").app_names() == []


def test_this_repository_has_the_guestbook_and_its_infrastructure(repo_root: Path) -> None:
    assert Layout(repo_root).app_names() == ["guestbook", "infrastructure"]


def test_the_paths_of_an_environment(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    assert layout.facts_file("dev") == tmp_path / "apps/environments/dev/environment.yaml"
    assert layout.sealing_certificate("dev") == (
        tmp_path / "apps/environments/dev/sealed-secrets.pem"
    )
    assert layout.overlay_dir("guestbook", "dev") == tmp_path / "apps/guestbook/overlays/dev"
    assert layout.layers_file == tmp_path / "apps/layers.yaml"
    assert layout.cluster_dir("dev") == tmp_path / "clusters/dev"


def test_relative_paths_for_messages(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    assert layout.relative(layout.facts_file("dev")) == Path(
        "apps/environments/dev/environment.yaml"
    )
    outside = Path("/elsewhere/file.yaml")
    assert layout.relative(outside) == outside
