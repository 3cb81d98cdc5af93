"""`gitops rollback` on the fixture repository: the image before the current one, as git records
it along main's first-parent line; never the image it rolls back from."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.render import sync
from gitops.render.state import render_all
from gitops.repo.layout import Layout

pytestmark = pytest.mark.git
IMAGE = "ghcr.io/example/guestbook"
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
DEV_OVERLAY = "apps/guestbook/overlays/dev/kustomization.yaml"
PROD_OVERLAY = "apps/guestbook/overlays/prod/kustomization.yaml"
PROD_START = f"{IMAGE}:0.9.0@sha256:" + "1" * 64


@pytest.fixture
def render_and_commit(git):
    """render_and_commit(repo, message): render clusters/ and commit everything on main."""

    def commit(repo: Path, message: str) -> None:
        sync.write(Layout(repo), render_all(Layout(repo)))
        git(repo, "add", "--all")
        git(repo, "commit", "--quiet", "-m", message)

    return commit


@pytest.fixture
def deploy(run, merge, git):
    """deploy(repo, *args): run bump/promote/rollback ARGS, then merge its branch into main (a
    pull request merged); the commit the command made (not the merge)."""

    def deploy_and_merge(repo: Path, *args: str) -> str:
        code, out, err = run(*args)
        assert code == 0, err
        branch = next(
            line.split("new branch ")[1].split(" ")[0]
            for line in out.splitlines()
            if "new branch " in line
        )
        commit = git(repo, "rev-parse", branch).strip()
        merge(repo, branch)
        return commit

    return deploy_and_merge


def test_rollback_goes_to_the_image_before_and_gives_git_reverts_bytes(
    repo: Path, run, git, deploy
) -> None:
    bump = deploy(repo, "bump", "dev", f"{IMAGE}:1.1.0")
    merged = git(repo, "rev-parse", "main").strip()  # where main took the bump
    code, out, err = run("rollback", "dev")
    assert code == 0, err
    assert f"dev: {IMAGE}:1.1.0 → {IMAGE}:1.0.0 (reverts {merged[:10]})" in err
    branch = f"rollback/dev/{merged[:10]}"
    assert branch in out
    subject = git(repo, "log", "-1", "--format=%s", branch).strip()
    assert subject == (
        f"rollback(dev): guestbook {IMAGE}:1.1.0 → {IMAGE}:1.0.0 (reverts {merged[:10]})"
    )
    assert f"Gitops-Reverts: {merged}" in git(repo, "log", "-1", "--format=%(trailers)", branch)
    # the same bytes as `git revert` of the bump commit, on main
    git(repo, "switch", "--quiet", "--detach", "main")
    git(repo, "revert", "--no-edit", bump)
    for path in (DEV_OVERLAY, "clusters/dev/deployment-web.yaml"):
        assert git(repo, "show", f"{branch}:{path}") == git(repo, "show", f"HEAD:{path}")


def test_a_second_rollback_never_puts_back_the_image_it_rolled_back_from(
    repo: Path, run, deploy, repo_state, git
) -> None:
    """The bug: promote, merge, rollback, merge, rollback again reapplied the bad image."""
    deploy(repo, "bump", "dev", f"{IMAGE}:1.1.0@{DIGEST_A}")
    deploy(repo, "promote", "dev", "prod")
    deploy(repo, "rollback", "prod")
    prod_overlay = git(repo, "show", f"main:{PROD_OVERLAY}")
    assert prod_overlay == git(repo, "show", f"main~3:{PROD_OVERLAY}")  # back to the same bytes
    before = repo_state(repo)
    code, _, err = run("rollback", "prod")
    assert code == 1
    assert f"prod runs {PROD_START}, the oldest image git records for it" in err
    assert "rollback prod --to IMAGE|COMMIT" in err
    assert f"1.1.0@{DIGEST_A}" not in err.split("set by")[0]
    assert repo_state(repo) == before


def test_each_rollback_goes_one_step_further_back(repo: Path, run, deploy, git) -> None:
    deploy(repo, "bump", "dev", f"{IMAGE}:1.1.0")
    deploy(repo, "bump", "dev", f"{IMAGE}:1.2.0")
    deploy(repo, "rollback", "dev")
    assert 'newTag: "1.1.0"' in git(repo, "show", f"main:{DEV_OVERLAY}")
    code, _, err = run("rollback", "dev")
    assert code == 0, err
    assert f"dev: {IMAGE}:1.1.0 → {IMAGE}:1.0.0" in err


def test_a_git_revert_of_a_bump_counts_as_a_rollback(repo: Path, run, deploy, git) -> None:
    deploy(repo, "bump", "dev", f"{IMAGE}:1.1.0")
    bump = deploy(repo, "bump", "dev", f"{IMAGE}:1.2.0")
    git(repo, "revert", "--no-edit", bump)
    code, _, err = run("rollback", "dev")
    assert code == 0, err
    assert f"dev: {IMAGE}:1.1.0 → {IMAGE}:1.0.0" in err


def test_hand_edits_of_the_image_count_and_other_overlay_edits_stay(
    repo: Path, run, git, render_and_commit
) -> None:
    overlay = repo / DEV_OVERLAY
    overlay.write_text(overlay.read_text().replace('"1.0.0"', '"1.0.1"'))
    render_and_commit(repo, "try 1.0.1 by hand")
    overlay.write_text(overlay.read_text() + "commonAnnotations:\n  team: web\n")
    render_and_commit(repo, "annotate dev")
    code, _, err = run("rollback", "dev")
    assert code == 0, err
    assert f"dev: {IMAGE}:1.0.1 → {IMAGE}:1.0.0" in err
    edited = git(
        repo, "show", f"rollback/dev/{git(repo, 'rev-parse', 'HEAD~1').strip()[:10]}:{DEV_OVERLAY}"
    )
    assert 'newTag: "1.0.0"' in edited
    assert "team: web" in edited


def test_to_chooses_the_image_by_reference_or_by_commit(repo: Path, run, deploy, git) -> None:
    first = git(repo, "rev-parse", "main").strip()
    deploy(repo, "bump", "dev", f"{IMAGE}:1.1.0")
    deploy(repo, "bump", "dev", f"{IMAGE}:1.2.0")
    code, _, err = run("rollback", "dev", "--to", first)
    assert code == 0, err
    assert f"dev: {IMAGE}:1.2.0 → {IMAGE}:1.0.0" in err
    git(
        repo,
        "branch",
        "-D",
        next(
            b
            for b in git(repo, "branch", "--format=%(refname:short)").split()
            if b.startswith("rollback/")
        ),
    )
    code, _, err = run("rollback", "dev", "--to", f"{IMAGE}:1.1.0")
    assert code == 0, err
    assert f"dev: {IMAGE}:1.2.0 → {IMAGE}:1.1.0" in err


def test_to_that_is_neither_an_image_nor_a_commit_is_a_usage_error(repo: Path, run) -> None:
    code, _, err = run("rollback", "dev", "--to", "no such thing")
    assert code == 2
    assert "--to 'no such thing' is neither an image reference" in err


def test_rollback_with_nothing_to_roll_back(repo: Path, run, repo_state) -> None:
    before = repo_state(repo)
    code, _, err = run("rollback", "prod")
    assert code == 1
    assert f"prod runs {PROD_START}, the oldest image git records for it" in err
    assert repo_state(repo) == before
