"""One change to the repository, made on a new branch, all or nothing.

The change is prepared in a temporary `git worktree` checked out at HEAD: the caller edits,
renders, validates and commits there, while the user's work tree, index and branches are never
touched. Only the last step changes the repository the user sees: the new branch's ref is
created (one atomic `git update-ref`), after the commit was pushed and its pull request opened
when asked for. Whatever stops the command before that (an error, a refusal, SIGTERM, SIGHUP,
Ctrl-C) leaves no trace but an unreachable commit object; the temporary worktree is removed on
the way out, and one that a SIGKILL left behind is pruned by the next run.

The new branch is not checked out: `git switch BRANCH` shows it. Uncommitted changes in the
user's work tree are not part of the change (it starts from HEAD, as CI's would).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

from gitops.errors import GitopsError, Refused, UsageError
from gitops.repo.git import GitRepo, open_pull_request, require_gh
from gitops.repo.layout import Layout
from gitops.system.signals import signals_held

WORKTREE_PREFIX = "gitops-change-"


@dataclass
class Outcome:
    """What a change made: its branch and commit, the files it changed, where it was sent."""

    branch: str
    commit: str = ""
    subject: str = ""
    files: list[str] = field(default_factory=list)
    pushed: bool = False
    pr_url: str = ""
    notes: list[str] = field(default_factory=list)


class BranchChange:
    """`with BranchChange(layout, branch) as change:` edit files under `change.layout`, then
    `change.commit(message, paths)`, `change.publish(body)` and `change.finish()`."""

    def __init__(
        self, layout: Layout, branch: str, *, push: bool = False, open_pr: bool = False
    ) -> None:
        self.user_layout = layout
        self.repo = GitRepo(layout.root)
        self.branch = branch
        self.push = push or open_pr
        self.open_pr = open_pr
        self.outcome = Outcome(branch=branch)
        self.start_branch: str | None = None
        self.start_head = ""
        self._tmp: Path | None = None
        self._worktree: Path | None = None
        self.layout = layout  # the worktree's layout once entered

    # ---- checks before anything changes
    def preflight(self) -> None:
        repo = self.repo
        if not repo.is_repository():
            raise UsageError(f"{self.user_layout.root} is not a git repository")
        if not repo.ref_exists("HEAD"):
            raise UsageError("the repository has no commit yet")
        if not repo.valid_branch_name(self.branch):
            raise UsageError(f"{self.branch!r} is not a valid branch name")
        if repo.branch_exists(self.branch):
            raise Refused(
                f"branch {self.branch} already exists (an earlier run?); look at it, or delete it "
                f"with `git branch -D {self.branch}` and run again"
            )
        if self.push and "origin" not in repo.remotes():
            raise UsageError("--push/--open-pr need a git remote named origin")
        if self.open_pr:
            require_gh()
        self.start_branch = repo.current_branch()
        self.start_head = repo.head()

    def __enter__(self) -> BranchChange:
        self.preflight()
        prefix = self.repo.prefix()
        self.repo.run("worktree", "prune")  # entries a killed run left behind
        try:
            with signals_held():  # the folder exists only once the clean-up below knows it
                self._tmp = Path(tempfile.mkdtemp(prefix=WORKTREE_PREFIX))
                self._worktree = self._tmp / self._tmp.name  # git names its entry after it
            self.repo.run(
                "worktree", "add", "--detach", "--quiet", str(self._worktree), self.start_head
            )
        except BaseException:
            with signals_held():  # the clean-up must finish, whatever arrives
                self._remove_worktree()
            raise
        self.layout = Layout(self._worktree / prefix)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        with signals_held():  # the clean-up must finish, whatever arrives
            self._remove_worktree()
        if exc is not None and self.outcome.pushed and isinstance(exc, GitopsError):
            exc.message += (
                f" (the commit had been pushed to origin as {self.branch}: remove it there with "
                f"`git push origin --delete {self.branch}`)"
            )
        return False

    # ---- steps, in the worktree
    def commit(self, message: str, paths: list[str]) -> str:
        """Commit the worktree's state of `paths` (relative to the layout's root)."""
        tree = GitRepo(self.layout.root)
        tree.run("add", "--all", "--", *paths)
        if not tree.run("diff", "--cached", "--name-only").strip():
            raise Refused("the change leaves every file as it was; nothing to commit")
        tree.run("commit", "--quiet", "--no-verify", "-m", message)
        self.outcome.commit = tree.head()
        self.outcome.subject = message.splitlines()[0]
        changed = tree.run("diff", "--name-only", self.start_head, "HEAD")
        self.outcome.files = changed.split()
        return self.outcome.commit

    def publish(self, pr_body: str) -> None:
        """Push the commit as the new branch and open its pull request, as asked."""
        if self.push:
            self.repo.run(
                "push", "--quiet", "origin", f"{self.outcome.commit}:refs/heads/{self.branch}"
            )
            self.outcome.pushed = True
        if self.open_pr:
            self.outcome.pr_url = open_pull_request(
                self.user_layout.root,
                title=self.outcome.subject,
                body=pr_body,
                head=self.branch,
                base=self.start_branch,
            )

    def finish(self) -> None:
        """Create the branch at the new commit: the one change the user's repository sees."""
        self.repo.run(
            "update-ref", "-m", "gitops: new branch", f"refs/heads/{self.branch}",
            self.outcome.commit, "0" * 40,
        )  # fmt: skip

    def _remove_worktree(self) -> None:
        """Remove the temporary worktree, its folder and git's entry for it. An `add` cut short
        leaves the entry locked ("initializing"), which neither `remove` nor `prune` touches:
        the lock of our own entry (named after our unique folder) is lifted first."""
        if self._worktree is not None:
            entry = Path(self.repo.run("rev-parse", "--git-common-dir").strip())
            lock = self.repo.root / entry / "worktrees" / self._worktree.name / "locked"
            lock.unlink(missing_ok=True)
            self.repo.run("worktree", "remove", "--force", str(self._worktree), check=False)
            self._worktree = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self.repo.run("worktree", "prune", check=False)
