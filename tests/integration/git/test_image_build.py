"""The image tag: the short SHA of the last commit of the build context, "-dirty" when it has
uncommitted changes (`image.build.git_short_sha`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitops.image import build as imagebuild

pytestmark = pytest.mark.git


def test_tag_is_the_short_sha_and_says_dirty(tmp_path: Path) -> None:
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@e", *args],
            capture_output=True,
            text=True,
            check=True,
            env={**env, "PATH": "/usr/bin:/bin"},
        ).stdout

    git("init", "-q")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM x\n")
    git("add", ".")
    git("commit", "-qm", "one")
    sha = git("rev-parse", "--short=7", "HEAD").strip()
    assert imagebuild.git_short_sha(tmp_path, ["svc"]) == sha
    (tmp_path / "svc" / "Dockerfile").write_text("FROM y\n")
    assert imagebuild.git_short_sha(tmp_path, ["svc"]) == f"{sha}-dirty"
