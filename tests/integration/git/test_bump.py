"""`gitops bump` on the small fixture repository (tests/fixtures/delivery/repo): a new branch with
the overlay and the rendered files, refusals that change nothing, undoing what failed, --push and
--open-pr."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gitops.errors import GitopsError
from gitops.repo.git import GitRepo
from gitops.validation.model import Finding

pytestmark = pytest.mark.git
IMAGE = "ghcr.io/example/guestbook"
DIGEST_A = "sha256:" + "a" * 64
DEV_OVERLAY = "apps/guestbook/overlays/dev/kustomization.yaml"


def test_bump_commits_overlay_and_rendered_files_on_a_new_branch(
    repo: Path, run, git, last_commit_files
) -> None:
    overlay_before = (repo / DEV_OVERLAY).read_text()
    code, out, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 0, err
    subject = f"bump(dev): guestbook {IMAGE}:1.0.0 → {IMAGE}:1.1.0"
    assert git(repo, "log", "-1", "--format=%s").strip() == subject
    assert subject in out
    assert git(repo, "branch", "--show-current").strip() == "bump/dev/guestbook-1.1.0"
    assert last_commit_files(repo) == [DEV_OVERLAY, "clusters/dev/deployment-web.yaml"]
    assert (repo / DEV_OVERLAY).read_text() == overlay_before.replace('"1.0.0"', '"1.1.0"')
    assert f"image: {IMAGE}:1.1.0" in (repo / "clusters/dev/deployment-web.yaml").read_text()
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-parse", "main") == git(repo, "rev-parse", "HEAD~1")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("dev", f"{IMAGE}:latest"), 1, "the tag 'latest' moves"),
        (("dev", IMAGE), 1, "has neither tag nor digest"),
        (("dev", f"{IMAGE}@sha256:1234"), 1, "malformed digest"),
        (("dev", "ghcr.io/Example/guestbook:1"), 1, "must be lower case"),
        (("staging", f"{IMAGE}:1.1.0"), 2, "unknown environment 'staging' (known: dev, prod)"),
        (("prod", f"{IMAGE}:1.1.0"), 1, "prod requires images pinned by digest"),
        (("dev", "ghcr.io/other/guestbook:1.1.0"), 1, "change image.repository in apps/guestbook"),
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
    code, out, _ = run("bump", "dev", f"{IMAGE}:1.0.0")
    assert code == 0
    assert out.strip() == f"dev already runs {IMAGE}:1.0.0; nothing to do"
    assert repo_state(repo) == before


def test_bump_refuses_uncommitted_changes_in_apps_but_not_elsewhere(
    repo: Path, run, git, repo_state, last_commit_files
) -> None:
    (repo / "apps/guestbook/base/service.yaml").write_text("# edited\n")
    before = repo_state(repo)
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 1
    assert "uncommitted changes in apps/guestbook/base/service.yaml" in err
    assert repo_state(repo) == before
    git(repo, "checkout", "--", "apps")
    (repo / "NOTES.txt").write_text("mine\n")
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 0, err
    assert "NOTES.txt" not in last_commit_files(repo)
    assert (repo / "NOTES.txt").read_text() == "mine\n"


def test_bump_that_does_not_validate_is_undone(repo: Path, run, findings: list, repo_state) -> None:
    findings.append(Finding("clusters/dev/deployment-web.yaml", 3, "error", "GB1", "x", "bad"))
    before, files = repo_state(repo), sorted(p.read_bytes() for p in repo.rglob("*.yaml"))
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 1
    assert "does not validate" in err
    assert repo_state(repo) == before
    assert sorted(p.read_bytes() for p in repo.rglob("*.yaml")) == files


def test_failure_after_the_branch_exists_goes_back_and_deletes_it(
    repo: Path, run, monkeypatch: pytest.MonkeyPatch, repo_state
) -> None:
    def broken(self, message, paths):
        raise GitopsError("git commit failed: simulated")

    monkeypatch.setattr(GitRepo, "commit_paths", broken)
    before = repo_state(repo)
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 1
    assert "simulated" in err
    assert repo_state(repo) == before


def test_bump_push_sends_the_branch_to_origin(repo: Path, run, tmp_path: Path, git) -> None:
    code, out, err = run("bump", "dev", f"{IMAGE}@{DIGEST_A}", "--push")
    assert code == 0, err
    branch = "bump/dev/guestbook-aaaaaaaaaaaa"
    remote = git(tmp_path / "origin.git", "rev-parse", f"refs/heads/{branch}").strip()
    assert remote == git(repo, "rev-parse", "HEAD").strip()
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


def test_failure_on_a_detached_head_returns_to_that_commit(
    repo: Path, run, monkeypatch: pytest.MonkeyPatch, git, repo_state
) -> None:
    git(repo, "switch", "--quiet", "--detach", "HEAD")

    def broken(self, message, paths):
        self.run("commit", "--quiet", "-m", message, "--only", "--", *paths)
        raise GitopsError("simulated failure after the commit")

    monkeypatch.setattr(GitRepo, "commit_paths", broken)
    before = repo_state(repo)
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 1, err
    assert "simulated failure after the commit" in err
    assert repo_state(repo) == before
    assert git(repo, "branch", "--show-current").strip() == ""
