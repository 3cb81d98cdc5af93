"""`gitops bump` on the small fixture repository (tests/fixtures/delivery/repo): a new branch with
the overlay and the rendered files, refusals that change nothing, undoing what failed, --push and
--open-pr."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gitops.delivery.branch import BranchChange
from gitops.errors import GitopsError
from gitops.validation.model import Finding

pytestmark = pytest.mark.git
IMAGE = "ghcr.io/example/guestbook"
DIGEST_A = "sha256:" + "a" * 64
DEV_OVERLAY = "apps/guestbook/overlays/dev/kustomization.yaml"


def test_bump_commits_overlay_and_rendered_files_on_a_new_branch(
    repo: Path, run, git, repo_state
) -> None:
    overlay_before = (repo / DEV_OVERLAY).read_text()
    before = repo_state(repo)
    code, out, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 0, err
    branch = "bump/dev/guestbook-1.1.0"
    subject = f"bump(dev): guestbook {IMAGE}:1.0.0 → {IMAGE}:1.1.0"
    assert git(repo, "log", "-1", "--format=%s", branch).strip() == subject
    assert subject in out
    assert git(repo, "show", "--name-only", "--format=", branch).split() == [
        DEV_OVERLAY,
        "clusters/dev/deployment-web.yaml",
    ]
    assert git(repo, "show", f"{branch}:{DEV_OVERLAY}") == overlay_before.replace(
        '"1.0.0"', '"1.1.0"'
    )
    rendered = git(repo, "show", f"{branch}:clusters/dev/deployment-web.yaml")
    assert f"image: {IMAGE}:1.1.0" in rendered
    assert git(repo, "rev-parse", "main") == git(repo, "rev-parse", f"{branch}~1")
    # The user's checkout is as it was: same branch, same HEAD, same files; one branch more.
    after = repo_state(repo)
    assert after["branches"] == sorted([*before["branches"], branch])
    assert {k: v for k, v in after.items() if k != "branches"} == {
        k: v for k, v in before.items() if k != "branches"
    }
    assert (repo / DEV_OVERLAY).read_text() == overlay_before
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    trailers = git(repo, "log", "-1", "--format=%(trailers)", branch)
    expected = f"Gitops-Environment: dev\nGitops-App: guestbook\nGitops-Image: {IMAGE}:1.1.0"
    assert expected in trailers


def test_bump_commits_the_record_of_the_kustomize_that_rendered_when_it_changed(
    repo: Path, run, git
) -> None:
    """clusters/ was rendered by another kustomize: the bump's render records the one it used,
    in the same commit as the files it rendered."""
    record = "clusters/.rendered-by"
    assert "kustomize v" in git(repo, "show", f"HEAD:{record}")  # the fixture's render made it
    (repo / record).write_text("kustomize v5.0.0 (kubectl v1.27.0)\n")
    git(repo, "commit", "--quiet", "-am", "rendered by an older kustomize")
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 0, err
    branch = "bump/dev/guestbook-1.1.0"
    assert record in git(repo, "show", "--name-only", "--format=", branch).split()
    assert "v5.0.0" not in git(repo, "show", f"{branch}:{record}")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("dev", f"{IMAGE}:latest"), 1, "the tag 'latest' moves"),
        (("dev", IMAGE), 1, "has neither tag nor digest"),
        (("dev", f"{IMAGE}@sha256:1234"), 1, "malformed digest"),
        (("dev", "ghcr.io/Example/guestbook:1"), 1, "must be lower case"),
        (("staging", f"{IMAGE}:1.1.0"), 2, "unknown environment 'staging' (known: dev, prod)"),
        (("prod", f"{IMAGE}:1.1.0"), 1, "prod requires images pinned by digest"),
        (
            ("dev", "ghcr.io/other/guestbook:1.1.0"),
            1,
            "change apps.guestbook.image.repository in apps/environments/dev/environment.yaml",
        ),
    ],
)
def test_bump_refusals_change_nothing(
    repo: Path, run, repo_state, *, args: tuple[str, str], code: int, message: str
) -> None:
    before = repo_state(repo)
    exit_code, _out, err = run("bump", *args)
    assert exit_code == code
    assert message in err
    assert repo_state(repo) == before


def test_bump_to_the_running_image_does_nothing(repo: Path, run, repo_state) -> None:
    before = repo_state(repo)
    code, out, err = run("bump", "dev", f"{IMAGE}:1.0.0")
    assert code == 0
    assert (out, err.strip()) == ("", f"dev already runs {IMAGE}:1.0.0; nothing to do")
    assert repo_state(repo) == before


def test_bump_starts_from_head_and_leaves_uncommitted_changes_alone(repo: Path, run, git) -> None:
    (repo / "apps/guestbook/base/service.yaml").write_text("# edited\n")
    (repo / "NOTES.txt").write_text("mine\n")
    status = git(repo, "status", "--porcelain")
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 0, err
    assert "note: uncommitted changes in apps/guestbook/base/service.yaml are not part" in err
    files = git(repo, "show", "--name-only", "--format=", "bump/dev/guestbook-1.1.0").split()
    assert "apps/guestbook/base/service.yaml" not in files
    assert "NOTES.txt" not in files
    assert git(repo, "status", "--porcelain") == status
    assert (repo / "apps/guestbook/base/service.yaml").read_text() == "# edited\n"


def test_bump_that_does_not_validate_is_undone(repo: Path, run, findings: list, repo_state) -> None:
    findings.append(Finding("clusters/dev/deployment-web.yaml", 3, "error", "GB1", "x", "bad"))
    before, files = repo_state(repo), sorted(p.read_bytes() for p in repo.rglob("*.yaml"))
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 1
    assert "does not validate" in err
    assert repo_state(repo) == before
    assert sorted(p.read_bytes() for p in repo.rglob("*.yaml")) == files


def test_a_failing_commit_leaves_no_branch_and_no_worktree(
    repo: Path, run, monkeypatch: pytest.MonkeyPatch, repo_state, git
) -> None:
    def broken(self, message, paths):
        raise GitopsError("git commit failed: simulated")

    monkeypatch.setattr(BranchChange, "commit", broken)
    before = repo_state(repo)
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 1
    assert "simulated" in err
    assert repo_state(repo) == before
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_bump_push_sends_the_branch_to_origin(repo: Path, run, tmp_path: Path, git) -> None:
    code, out, err = run("bump", "dev", f"{IMAGE}@{DIGEST_A}", "--push")
    assert code == 0, err
    branch = "bump/dev/guestbook-aaaaaaaaaaaa"
    remote = git(tmp_path / "origin.git", "rev-parse", f"refs/heads/{branch}").strip()
    assert remote == git(repo, "rev-parse", branch).strip()
    assert f"pushed to origin/{branch}" in out


def test_open_pr_without_gh_is_a_clear_error_and_changes_nothing(
    repo: Path, run, monkeypatch: pytest.MonkeyPatch, repo_state, path_without_gh
) -> None:
    monkeypatch.setenv("PATH", path_without_gh)
    before = repo_state(repo)
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0", "--open-pr")
    assert code == 2
    assert "--open-pr needs the GitHub CLI `gh`" in err
    assert repo_state(repo) == before


def test_open_pr_calls_gh_with_the_subject_and_the_markdown_diff(
    repo: Path, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path}/gh-args\ncat > {tmp_path}/gh-body\n'
        "echo https://github.com/example/repo/pull/7\n"
    )
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = run("bump", "dev", f"{IMAGE}:1.1.0", "--open-pr")
    assert code == 0, err
    args = (tmp_path / "gh-args").read_text().splitlines()
    assert args[:3] == ["pr", "create", "--title"]
    assert args[3] == f"bump(dev): guestbook {IMAGE}:1.0.0 → {IMAGE}:1.1.0"
    assert args[args.index("--head") + 1] == "bump/dev/guestbook-1.1.0"
    assert args[args.index("--base") + 1] == "main"
    body = (tmp_path / "gh-body").read_text()
    assert body.startswith("<!-- gitops-diff -->\n")
    assert f"image {IMAGE}:1.0.0 → {IMAGE}:1.1.0); prod: no change" in body
    assert "pull request: https://github.com/example/repo/pull/7" in out


def test_on_a_detached_head_the_branch_starts_there_and_head_stays(
    repo: Path, run, git, repo_state
) -> None:
    git(repo, "switch", "--quiet", "--detach", "HEAD")
    before = repo_state(repo)
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 0, err
    after = repo_state(repo)
    assert (after["head"], after["branch"], after["status"]) == (
        before["head"],
        "",
        before["status"],
    )
    assert git(repo, "rev-parse", "bump/dev/guestbook-1.1.0~1").strip() == before["head"]


def test_gh_failing_after_the_push_leaves_no_local_branch_and_says_where_the_push_went(
    repo: Path, run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repo_state
) -> None:
    bin_dir = tmp_path / "failing-gh"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text("#!/bin/sh\ncat > /dev/null\necho 'HTTP 401: Bad credentials' >&2\nexit 1\n")
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    before = repo_state(repo)
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0", "--open-pr")
    assert code == 1
    assert "gh pr create failed: HTTP 401: Bad credentials" in err
    assert "git push origin --delete bump/dev/guestbook-1.1.0" in err
    assert repo_state(repo) == before


@pytest.mark.parametrize(
    "command",
    [
        ["render", "staging"],
        ["render", "--check", "staging"],
        ["diff", "--env", "staging", "HEAD"],
        ["bump", "staging", f"{IMAGE}:1.0"],
        ["promote", "dev", "staging"],
        ["promote", "staging", "prod"],
        ["rollback", "staging"],
    ],
)
def test_an_unknown_environment_is_exit_2_for_every_command(
    repo: Path, run, repo_state, command: list[str]
) -> None:
    before = repo_state(repo)
    code, out, err = run(*command)
    assert (code, out) == (2, "")
    assert "unknown environment 'staging' (known: dev, prod)" in err
    assert repo_state(repo) == before


def test_with_two_apps_the_image_or_app_says_which_app_changes(
    two_apps_repo: Path, gitops, git, repo_state
) -> None:
    """bump finds the app by the new image's repository; rollback and promote cannot guess, so
    they take --app (and a missing one is a usage error that says so)."""
    root = two_apps_repo
    code, _, err = gitops(root, "bump", "dev", "ghcr.io/example/shop:2")
    assert code == 0, err
    branch = "bump/dev/shop-2"
    subject = "bump(dev/shop): shop ghcr.io/example/shop:1 → ghcr.io/example/shop:2"
    assert git(root, "log", "-1", "--format=%s", branch).strip() == subject
    assert git(root, "show", "--name-only", "--format=", branch).split() == [
        "apps/shop/overlays/dev/kustomization.yaml",
        "clusters/dev/deployment-shop.yaml",
    ]
    assert "Gitops-App: shop" in git(root, "log", "-1", "--format=%(trailers)", branch)

    before = repo_state(root)
    code, _, err = gitops(root, "rollback", "dev")
    assert code == 2
    assert "apps with an image here: guestbook, shop); name one with --app" in err
    code, _, err = gitops(root, "rollback", "dev", "--app", "shop")
    assert code == 1
    assert "the oldest image git records for it" in err
    code, _, err = gitops(root, "promote", "dev", "prod", "--app", "shop")
    assert code == 1
    assert "dev/shop runs ghcr.io/example/shop:1, which is not pinned by digest" in err
    code, _, err = gitops(root, "bump", "dev", f"{IMAGE}:1.1.0", "--app", "shop")
    assert code == 1
    assert "is not from ghcr.io/example/shop" in err
    assert repo_state(root) == before
