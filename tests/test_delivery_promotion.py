"""bump, promote, rollback and diff on a small fixture repository (tests/fixtures/delivery/repo)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from delivery_helpers import (
    DIGEST_A,
    DIGEST_B,
    copy_fixture,
    git,
    gitops,
    init_repo,
    state,
    use_git_identity,
    without_gh_path,
)

from gitops.errors import GitopsError
from gitops.repo.git import GitRepo
from gitops.repo.layout import Layout
from gitops.validation.model import Finding

pytestmark = pytest.mark.git
IMAGE = "ghcr.io/example/guestbook"
DEV_OVERLAY = "apps/guestbook/overlays/dev/kustomization.yaml"
PROD_OVERLAY = "apps/guestbook/overlays/prod/kustomization.yaml"


class Run:
    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, capsys):
        self.root, self.monkeypatch, self.capsys = root, monkeypatch, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        return gitops(self.root, self.monkeypatch, self.capsys, *args)


@pytest.fixture
def findings(monkeypatch: pytest.MonkeyPatch) -> list[Finding]:
    """What the (stubbed) validator reports: the fixture repo is not meant to pass every rule."""
    found: list[Finding] = []
    import gitops.validation.repository

    def validate_repository(layout: Layout, rendered: object = None) -> list[Finding]:
        return list(found)

    monkeypatch.setattr(gitops.validation.repository, "validate_repository", validate_repository)
    return found


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, findings: list[Finding]) -> Path:
    use_git_identity(monkeypatch, tmp_path)
    from gitops.render import sync
    from gitops.render.state import render_all

    root = copy_fixture("repo", tmp_path / "work")
    sync.write(Layout(root), render_all(Layout(root)))
    return init_repo(root, origin=tmp_path / "origin.git")


@pytest.fixture
def run(repo: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Run:
    return Run(repo, monkeypatch, capsys)


def last_commit_files(root: Path) -> list[str]:
    return git(root, "show", "--name-only", "--format=", "HEAD").split()


# ---- bump


def test_bump_commits_overlay_and_rendered_files_on_a_new_branch(repo: Path, run: Run) -> None:
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
    repo: Path, run: Run, args: tuple[str, str], code: int, message: str
) -> None:
    before = state(repo)
    exit_code, _out, err = run("bump", *args)
    assert exit_code == code
    assert message in err
    assert state(repo) == before


def test_bump_to_the_running_image_does_nothing(repo: Path, run: Run) -> None:
    before = state(repo)
    code, out, _ = run("bump", "dev", f"{IMAGE}:1.0.0")
    assert code == 0
    assert out.strip() == f"dev already runs {IMAGE}:1.0.0; nothing to do"
    assert state(repo) == before


def test_bump_refuses_uncommitted_changes_in_apps_but_not_elsewhere(repo: Path, run: Run) -> None:
    (repo / "apps/guestbook/base/service.yaml").write_text("# edited\n")
    before = state(repo)
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 1
    assert "uncommitted changes in apps/guestbook/base/service.yaml" in err
    assert state(repo) == before
    git(repo, "checkout", "--", "apps")
    (repo / "NOTES.txt").write_text("mine\n")
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 0, err
    assert "NOTES.txt" not in last_commit_files(repo)
    assert (repo / "NOTES.txt").read_text() == "mine\n"


def test_bump_that_does_not_validate_is_undone(repo: Path, run: Run, findings: list) -> None:
    findings.append(Finding("clusters/dev/deployment-web.yaml", 3, "error", "GB1", "x", "bad"))
    before, files = state(repo), sorted(p.read_bytes() for p in repo.rglob("*.yaml"))
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 1
    assert "does not validate" in err
    assert state(repo) == before
    assert sorted(p.read_bytes() for p in repo.rglob("*.yaml")) == files


def test_failure_after_the_branch_exists_goes_back_and_deletes_it(
    repo: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self, message, paths):
        raise GitopsError("git commit failed: simulated")

    monkeypatch.setattr(GitRepo, "commit_paths", broken)
    before = state(repo)
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 1
    assert "simulated" in err
    assert state(repo) == before


def test_bump_push_sends_the_branch_to_origin(repo: Path, run: Run, tmp_path: Path) -> None:
    code, out, err = run("bump", "dev", f"{IMAGE}@{DIGEST_A}", "--push")
    assert code == 0, err
    branch = "bump/dev/guestbook-aaaaaaaaaaaa"
    remote = git(tmp_path / "origin.git", "rev-parse", f"refs/heads/{branch}").strip()
    assert remote == git(repo, "rev-parse", "HEAD").strip()
    assert f"pushed to origin/{branch}" in out


def test_open_pr_without_gh_is_a_clear_error_and_changes_nothing(
    repo: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", without_gh_path(tmp_path))
    before = state(repo)
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0", "--open-pr")
    assert code == 2
    assert "--open-pr needs the GitHub CLI `gh`" in err
    assert state(repo) == before


def test_open_pr_calls_gh_with_the_subject_and_the_markdown_diff(
    repo: Path, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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


# ---- promote


def test_promote_copies_the_digest_dev_runs(repo: Path, run: Run) -> None:
    assert run("bump", "dev", f"{IMAGE}:1.1.0@{DIGEST_A}")[0] == 0
    code, _out, err = run("promote", "dev", "prod")
    assert code == 0, err
    old = f"{IMAGE}:0.9.0@sha256:" + "1" * 64
    subject = f"promote(prod): guestbook {old} → {IMAGE}:1.1.0@{DIGEST_A} (from dev)"
    assert git(repo, "log", "-1", "--format=%s").strip() == subject
    assert last_commit_files(repo) == [PROD_OVERLAY, "clusters/prod/deployment-web.yaml"]
    deployment = (repo / "clusters/prod/deployment-web.yaml").read_text()
    assert f"image: {IMAGE}:1.1.0@{DIGEST_A}" in deployment
    assert git(repo, "branch", "--show-current").strip() == "promote/prod/guestbook-1.1.0-aaaaaaaa"


def test_promote_refuses_an_image_not_pinned_by_digest(repo: Path, run: Run) -> None:
    before = state(repo)
    code, _, err = run("promote", "dev", "prod")
    assert code == 1
    assert f"dev runs {IMAGE}:1.0.0, which is not pinned by digest" in err
    assert f"({DEV_OVERLAY}:8)" in err
    assert state(repo) == before


def test_promote_refuses_when_target_already_runs_it(repo: Path, run: Run) -> None:
    assert run("bump", "dev", f"{IMAGE}@{DIGEST_B}")[0] == 0
    assert run("promote", "dev", "prod")[0] == 0
    before = state(repo)
    code, _, err = run("promote", "dev", "prod")
    assert code == 1
    assert f"prod already runs {IMAGE}@{DIGEST_B}" in err
    assert "nothing to promote" in err
    assert state(repo) == before


# ---- rollback


def render_and_commit(repo: Path, message: str) -> None:
    from gitops.render import sync
    from gitops.render.state import render_all

    sync.write(Layout(repo), render_all(Layout(repo)))
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message)


def test_rollback_reverts_the_last_image_change_like_git_revert(repo: Path, run: Run) -> None:
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


def test_rollback_re_renders_what_the_revert_left_stale(repo: Path, run: Run) -> None:
    assert run("bump", "dev", f"{IMAGE}:1.1.0")[0] == 0
    overlay = repo / DEV_OVERLAY
    overlay.write_text(overlay.read_text() + "commonAnnotations:\n  team: web\n")
    git(repo, "commit", "--quiet", "-am", "annotate dev, forgot to render")
    code, out, err = run("rollback", "dev")
    assert code == 0, err
    assert "re-rendered 2 file(s) that the revert left out of date" in out
    assert "team: web" in (repo / "clusters/dev/deployment-web.yaml").read_text()
    assert git(repo, "status", "--porcelain") == ""


def test_rollback_counts_hand_edits_of_the_image(repo: Path, run: Run) -> None:
    overlay = repo / DEV_OVERLAY
    overlay.write_text(overlay.read_text().replace('"1.0.0"', '"1.0.1"'))
    render_and_commit(repo, "try 1.0.1 by hand")
    code, out, err = run("rollback", "dev")
    assert code == 0, err
    assert f"dev {IMAGE}:1.0.1 → {IMAGE}:1.0.0" in out
    assert 'newTag: "1.0.0"' in overlay.read_text()


def test_rollback_with_nothing_to_roll_back(repo: Path, run: Run) -> None:
    before = state(repo)
    code, _, err = run("rollback", "prod")
    assert code == 1
    assert "nothing to roll back: no commit on this branch changed the image of prod" in err
    assert state(repo) == before


# ---- diff against git history


def test_diff_shows_the_bump_in_dev_only(repo: Path, run: Run) -> None:
    assert run("bump", "dev", f"{IMAGE}:1.1.0")[0] == 0
    code, out, err = run("diff", "--exit-code")
    assert code == 1, err
    assert "against merge base with main" not in out
    assert out.splitlines()[0].startswith("cluster-state diff: merge base with main (")
    assert f"changed Deployment/guestbook-dev/web: image {IMAGE}:1.0.0 → {IMAGE}:1.1.0" in out
    assert "== prod: no change ==" in out
    code, out, _ = run("diff", "main", "--env", "prod", "--exit-code")
    assert code == 0
    assert "dev" not in out.replace("work tree", "")


def test_diff_markdown_against_a_ref(repo: Path, run: Run) -> None:
    assert run("bump", "dev", f"{IMAGE}:1.1.0")[0] == 0
    code, out, _ = run("diff", "HEAD~1", "--format", "markdown")
    assert code == 0
    assert out.startswith("<!-- gitops-diff -->\n**Cluster-state diff** against `HEAD~1 (")
    assert "```diff" in out


def test_diff_without_main_says_what_to_do(repo: Path, run: Run) -> None:
    git(repo, "branch", "-m", "main", "trunk")
    git(repo, "remote", "remove", "origin")
    code, _, err = run("diff")
    assert code == 2
    assert "neither `main` nor `origin/main` exists" in err


def test_diff_with_an_environment_on_one_side(repo: Path, run: Run) -> None:
    import shutil

    shutil.copytree(repo / "apps/guestbook/overlays/dev", repo / "apps/guestbook/overlays/qa")
    code, out, err = run("diff", "main")
    assert code == 0, err
    assert "== qa: new environment (2 objects added) ==" in out


def test_failure_on_a_detached_head_returns_to_that_commit(
    repo: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(repo, "switch", "--quiet", "--detach", "HEAD")

    def broken(self, message, paths):
        self.run("commit", "--quiet", "-m", message, "--only", "--", *paths)
        raise GitopsError("simulated failure after the commit")

    monkeypatch.setattr(GitRepo, "commit_paths", broken)
    before = state(repo)
    code, _, err = run("bump", "dev", f"{IMAGE}:1.1.0")
    assert code == 1, err
    assert "simulated failure after the commit" in err
    assert state(repo) == before
    assert git(repo, "branch", "--show-current").strip() == ""
