"""`python -m gitops render` where it needs no kustomize: the error when there is none (the render
itself: tests/integration/kustomize/test_render.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.cli import main


def test_without_kustomize_the_command_exits_2_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    copy_repo,
    snapshot,
) -> None:
    layout = copy_repo(tmp_path)
    before = snapshot(layout.clusters_dir)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["render"]) == 2
    assert "error: neither kustomize nor kubectl" in capsys.readouterr().err
    assert snapshot(layout.clusters_dir) == before
