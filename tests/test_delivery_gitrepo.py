"""The git plumbing the delivery commands stand on."""

from __future__ import annotations

from pathlib import Path

import pytest
from delivery_helpers import git, init_repo, use_git_identity

from gitops.errors import GitopsError, UsageError
from gitops.repo.git import GitRepo

pytestmark = pytest.mark.git


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    use_git_identity(monkeypatch, tmp_path)
    root = tmp_path / "r"
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "a.txt").write_text("one\n")
    (root / "other.txt").write_text("x\n")
    init_repo(root)
    return GitRepo(root)


def test_branch_head_and_detached_head(repo: GitRepo) -> None:
    assert repo.current_branch() == "main"
    head = repo.head()
    repo.switch(head, detach=True)
    assert repo.current_branch() is None
    assert repo.resolve("main") == head


def test_unknown_ref_is_a_usage_error(repo: GitRepo) -> None:
    with pytest.raises(UsageError, match="'nope' is not a commit, branch or tag"):
        repo.resolve("nope")


def test_git_errors_carry_gits_message(repo: GitRepo) -> None:
    with pytest.raises(
        GitopsError, match=r"git switch --quiet no-such-branch failed: .*no-such-branch"
    ):
        repo.switch("no-such-branch")


def test_dirty_paths_sees_modified_and_untracked_files_under_paths_only(repo: GitRepo) -> None:
    (repo.root / "apps" / "a.txt").write_text("two\n")
    (repo.root / "apps" / "new.txt").write_text("new\n")
    (repo.root / "other.txt").write_text("y\n")
    assert repo.dirty_paths("apps") == ["apps/a.txt", "apps/new.txt"]
    repo.restore("apps")
    assert repo.dirty_paths("apps") == []
    assert (repo.root / "other.txt").read_text() == "y\n"


def test_log_show_file_and_exported_tree(repo: GitRepo) -> None:
    first = repo.head()
    (repo.root / "apps" / "a.txt").write_text("two\n")
    sha = repo.commit_paths("change a", ["apps"])
    (repo.root / "other.txt").write_text("z\n")
    git(repo.root, "commit", "--quiet", "-am", "change other")
    assert [c.subject for c in repo.log("apps")] == ["change a", "initial state"]
    assert repo.log("apps")[0].sha == sha
    assert repo.show_file(first, "apps/a.txt") == b"one\n"
    assert repo.show_file(first, "apps/missing.txt") is None
    with repo.exported_tree(first) as tree:
        assert (tree / "apps" / "a.txt").read_text() == "one\n"
        assert (tree / "other.txt").read_text() == "x\n"
    assert not tree.exists()
    assert repo.merge_base("HEAD", first) == first


def test_commit_paths_commits_only_those_paths(repo: GitRepo) -> None:
    (repo.root / "apps" / "a.txt").write_text("two\n")
    (repo.root / "other.txt").write_text("staged elsewhere\n")
    git(repo.root, "add", "other.txt")
    repo.commit_paths("only apps", ["apps"])
    assert git(repo.root, "show", "--name-only", "--format=", "HEAD").split() == ["apps/a.txt"]
    assert git(repo.root, "diff", "--cached", "--name-only").split() == ["other.txt"]


def test_push_needs_the_remote(repo: GitRepo) -> None:
    with pytest.raises(UsageError, match="no git remote 'origin'"):
        repo.push("main")
