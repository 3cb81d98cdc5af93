"""Rendering an environment (`render.state`) with a stand-in for kustomize: the layer folders, and
objects that would share a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.errors import ConfigError
from gitops.render.kustomize import Kustomize
from gitops.render.state import render_environment
from gitops.repo.layers import load_layers


def test_without_a_layers_file_objects_go_straight_into_the_environment_folder(
    tmp_path: Path, copy_repo, fake_tool
) -> None:
    layout = copy_repo(tmp_path)
    layout.layers_file.unlink()
    layers = load_layers(layout.layers_file, "layers.yaml")
    assert layers.names == () and layers.layer_of({"metadata": {"name": "web"}}) == ""
    stream = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n"
    tool = fake_tool(tmp_path / "bin", "kustomize", stream)
    files = render_environment(layout, "dev", Kustomize((str(tool), "build")))
    assert list(files) == ["namespace-n.yaml"]


def test_two_objects_for_one_file_are_refused(tmp_path: Path, copy_repo, fake_tool) -> None:
    """Same kind and name in two namespaces (or API groups) would share a file name."""
    layout = copy_repo(tmp_path)
    service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: {}\n"
    tool = fake_tool(
        tmp_path / "bin", "kustomize", service.format("a") + "---\n" + service.format("b")
    )
    with pytest.raises(ConfigError) as caught:
        render_environment(layout, "dev", Kustomize((str(tool), "build")))
    assert caught.value.message == (
        "Service/a/web and Service/b/web would both be written to "
        "clusters/dev/app/service-web.yaml; rename one of them"
    )
    assert caught.value.path == Path("apps/guestbook/overlays/dev")
