"""`python -m gitops image` where it needs no podman: what it says without podman or a
Dockerfile (the build itself: tests/integration/podman/test_image.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops import cli


def test_image_command_without_podman_exits_2_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "apps/environments").mkdir(parents=True)
    (tmp_path / "services/guestbook").mkdir(parents=True)
    (tmp_path / "services/guestbook/Dockerfile").write_text("FROM scratch\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "")
    assert cli.main(["image"]) == 2
    err = capsys.readouterr().err
    assert "podman is not installed" in err
    assert "apt-get install" in err


def test_image_command_without_dockerfile_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "apps/environments").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["image"]) == 2
    assert "services/guestbook/Dockerfile: no Dockerfile to build" in capsys.readouterr().err
