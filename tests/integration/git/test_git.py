"""The git plumbing the delivery commands and the diff stand on."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.errors import GitopsError, UsageError
from gitops.repo.git import GitRepo

pytestmark = pytest.mark.git


@pytest.fixture
def git_repo(tmp_path: Path, init_repo) -> GitRepo:
    """A repository with apps/a.txt and other.txt committed on main."""
    root = tmp_path / "r"
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "a.txt").write_text("one\n")
    (root / "other.txt").write_text("x\n")
    init_repo(root)
    return GitRepo(root)


def test_branch_head_and_detached_head(git_repo: GitRepo, git) -> None:
    assert git_repo.current_branch() == "main"
    head = git_repo.head()
    git(git_repo.root, "switch", "--quiet", "--detach", head)
    assert git_repo.current_branch() is None
    assert git_repo.resolve("main") == head


def test_unknown_ref_is_a_usage_error(git_repo: GitRepo) -> None:
    with pytest.raises(UsageError, match="'nope' is not a commit, branch or tag"):
        git_repo.resolve("nope")


def test_git_errors_carry_gits_message(git_repo: GitRepo) -> None:
    with pytest.raises(GitopsError, match=r"git switch --quiet no-such-branch failed: .*no-such"):
        git_repo.run("switch", "--quiet", "no-such-branch")


def test_dirty_paths_sees_modified_and_untracked_files_under_paths_only(git_repo: GitRepo) -> None:
    (git_repo.root / "apps" / "a.txt").write_text("two\n")
    (git_repo.root / "apps" / "new.txt").write_text("new\n")
    (git_repo.root / "other.txt").write_text("y\n")
    assert git_repo.dirty_paths("apps") == ["apps/a.txt", "apps/new.txt"]


def test_first_parent_log_show_file_and_exported_tree(git_repo: GitRepo, git) -> None:
    first = git_repo.head()
    (git_repo.root / "apps" / "a.txt").write_text("two\n")
    git(git_repo.root, "commit", "--quiet", "-am", "change a")
    (git_repo.root / "other.txt").write_text("z\n")
    git(git_repo.root, "commit", "--quiet", "-am", "change other")
    assert [c.subject for c in git_repo.first_parent_log("apps")] == ["initial state", "change a"]
    assert git_repo.show_file(first, "apps/a.txt") == b"one\n"
    assert git_repo.show_file(first, "apps/missing.txt") is None
    with git_repo.exported_tree(first) as tree:
        assert (tree / "apps" / "a.txt").read_text() == "one\n"
        assert (tree / "other.txt").read_text() == "x\n"
    assert not tree.exists()
    assert git_repo.merge_base("HEAD", first) == first


def test_first_parent_log_follows_main_through_merges(git_repo: GitRepo, git) -> None:
    """A change that arrived by a merge commit counts where main took it, not on its branch."""
    git(git_repo.root, "switch", "--quiet", "-c", "feature")
    (git_repo.root / "apps" / "a.txt").write_text("feature\n")
    git(git_repo.root, "commit", "--quiet", "-am", "on the branch")
    git(git_repo.root, "switch", "--quiet", "main")
    git(git_repo.root, "merge", "--quiet", "--no-ff", "-m", "merge feature", "feature")
    assert [c.subject for c in git_repo.first_parent_log("apps")] == [
        "initial state",
        "merge feature",
    ]


def test_prefix_is_where_the_root_sits_in_the_repository(git_repo: GitRepo) -> None:
    assert git_repo.prefix() == Path()
    assert GitRepo(git_repo.root / "apps").prefix() == Path("apps")
