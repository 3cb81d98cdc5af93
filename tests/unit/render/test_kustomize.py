"""Finding kustomize (or kubectl kustomize) and running it (`render.kustomize`), with stand-ins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitops.errors import ConfigError, ToolMissing
from gitops.render.kustomize import Kustomize, find_kustomize


def test_without_kustomize_and_kubectl_the_error_says_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolMissing) as caught:
        find_kustomize()
    message = caught.value.message
    assert "neither kustomize nor kubectl" in message
    assert "https://kubectl.docs.kubernetes.io/installation/kustomize/" in message
    assert "https://kubernetes.io/docs/tasks/tools/" in message


def test_a_kustomize_binary_is_preferred_to_kubectl(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_tool
) -> None:
    bin_dir = tmp_path / "bin"
    stream = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-kustomize\n"
    fake_tool(bin_dir, "kubectl", "apiVersion: v1\nkind: Namespace\nmetadata: {name: kubectl}")
    fake_tool(bin_dir, "kustomize", stream)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    tool = find_kustomize()
    assert tool.name == "kustomize build"
    assert "name: from-kustomize" in tool.build(tmp_path, "overlay")
    (bin_dir / "kustomize").unlink()
    assert find_kustomize().name == "kubectl kustomize"


def test_a_failing_build_names_the_overlay_and_says_why(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    failing = bin_dir / "kustomize"
    failing.write_text(
        "#!/bin/sh\necho 'Error: accumulating resources: missing.yaml' >&2\nexit 1\n"
    )
    failing.chmod(0o755)
    with pytest.raises(ConfigError) as caught:
        Kustomize((str(failing), "build")).build(tmp_path, "apps/guestbook/overlays/prod")
    assert caught.value.path == Path("apps/guestbook/overlays/prod")
    assert caught.value.message == "kustomize build failed: accumulating resources: missing.yaml"
