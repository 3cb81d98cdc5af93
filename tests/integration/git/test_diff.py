"""`gitops diff` against git history on the fixture repository: the merge base with main, another
ref, an environment on one side."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.git
IMAGE = "ghcr.io/example/guestbook"


def test_diff_shows_the_bump_in_dev_only(repo: Path, run, git) -> None:
    assert run("bump", "dev", f"{IMAGE}:1.1.0")[0] == 0
    git(repo, "switch", "--quiet", "bump/dev/guestbook-1.1.0")
    code, out, err = run("diff", "--exit-code")
    assert code == 1, err
    assert "against merge base with main" not in out
    assert out.splitlines()[0].startswith("cluster-state diff: merge base with main (")
    assert f"changed Deployment/guestbook-dev/web: image {IMAGE}:1.0.0 → {IMAGE}:1.1.0" in out
    assert "== prod: no change ==" in out
    code, out, _ = run("diff", "main", "--env", "prod", "--exit-code")
    assert code == 0
    assert "dev" not in out.replace("work tree", "")


def test_diff_markdown_against_a_ref(repo: Path, run, git) -> None:
    assert run("bump", "dev", f"{IMAGE}:1.1.0")[0] == 0
    git(repo, "switch", "--quiet", "bump/dev/guestbook-1.1.0")
    code, out, _ = run("diff", "HEAD~1", "--format", "markdown")
    assert code == 0
    assert out.startswith("<!-- gitops-diff -->\n**Cluster-state diff** against `HEAD~1 (")
    assert "```diff" in out


def test_diff_without_main_says_what_to_do(repo: Path, run, git) -> None:
    git(repo, "branch", "-m", "main", "trunk")
    git(repo, "remote", "remove", "origin")
    code, _, err = run("diff")
    assert code == 2
    assert "neither `main` nor `origin/main` exists" in err


def test_diff_with_an_environment_on_one_side(repo: Path, run) -> None:
    shutil.copytree(repo / "apps/environments/dev", repo / "apps/environments/qa")
    shutil.copytree(repo / "apps/guestbook/overlays/dev", repo / "apps/guestbook/overlays/qa")
    code, out, err = run("diff", "main")
    assert code == 0, err
    assert "== qa: new environment (2 objects added) ==" in out
