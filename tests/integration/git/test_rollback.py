"""`gitops rollback` on the fixture repository: the last image change of an environment reverted
like `git revert`, and what the revert left stale rendered again."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.render import sync
from gitops.render.state import render_all
from gitops.repo.layout import Layout

pytestmark = pytest.mark.git
IMAGE = "ghcr.io/example/guestbook"
DEV_OVERLAY = "apps/guestbook/overlays/dev/kustomization.yaml"


@pytest.fixture
def render_and_commit(git):
    """render_and_commit(repo, message): render clusters/ and commit everything."""

    def commit(repo: Path, message: str) -> None:
        sync.write(Layout(repo), render_all(Layout(repo)))
        git(repo, "add", "--all")
        git(repo, "commit", "--quiet", "-m", message)

    return commit


def test_rollback_reverts_the_last_image_change_like_git_revert(
    repo: Path, run, git, render_and_commit
) -> None:
    assert run("bump", "dev", f"{IMAGE}:1.1.0")[0] == 0
    bump_commit = git(repo, "rev-parse", "HEAD").strip()
    # a later hand edit of the overlay that leaves the image alone is not an image change
    overlay = repo / DEV_OVERLAY
    overlay.write_text(overlay.read_text() + "commonAnnotations:\n  team: web\n")
    render_and_commit(repo, "annotate dev")
    code, out, err = run("rollback", "dev")
    assert code == 0, err
    assert f"dev {IMAGE}:1.1.0 → {IMAGE}:1.0.0" in out
    assert git(repo, "branch", "--show-current").strip() == f"rollback/dev/{bump_commit[:10]}"
    assert git(repo, "log", "-1", "--format=%s").strip().startswith('Revert "bump(dev): guestbook')
    assert 'newTag: "1.0.0"' in overlay.read_text()
    assert "team: web" in overlay.read_text()
    rollback_tree = git(repo, "rev-parse", "HEAD^{tree}")
    git(repo, "switch", "--quiet", "--detach", "HEAD~1")
    git(repo, "revert", "--no-edit", bump_commit)
    assert git(repo, "rev-parse", "HEAD^{tree}") == rollback_tree


def test_rollback_re_renders_what_the_revert_left_stale(repo: Path, run, git) -> None:
    assert run("bump", "dev", f"{IMAGE}:1.1.0")[0] == 0
    overlay = repo / DEV_OVERLAY
    overlay.write_text(overlay.read_text() + "commonAnnotations:\n  team: web\n")
    git(repo, "commit", "--quiet", "-am", "annotate dev, forgot to render")
    code, out, err = run("rollback", "dev")
    assert code == 0, err
    assert "re-rendered 2 file(s) that the revert left out of date" in out
    assert "team: web" in (repo / "clusters/dev/deployment-web.yaml").read_text()
    assert git(repo, "status", "--porcelain") == ""


def test_rollback_counts_hand_edits_of_the_image(repo: Path, run, render_and_commit) -> None:
    overlay = repo / DEV_OVERLAY
    overlay.write_text(overlay.read_text().replace('"1.0.0"', '"1.0.1"'))
    render_and_commit(repo, "try 1.0.1 by hand")
    code, out, err = run("rollback", "dev")
    assert code == 0, err
    assert f"dev {IMAGE}:1.0.1 → {IMAGE}:1.0.0" in out
    assert 'newTag: "1.0.0"' in overlay.read_text()


def test_rollback_with_nothing_to_roll_back(repo: Path, run, repo_state) -> None:
    before = repo_state(repo)
    code, _, err = run("rollback", "prod")
    assert code == 1
    assert "nothing to roll back: no commit on this branch changed the image of prod" in err
    assert repo_state(repo) == before
