"""One change to the repository, made on a new branch, all or nothing.

`BranchChange` checks first (the paths it will touch are clean, the branch is new, `origin` and
`gh` exist when asked for), then lets the caller edit, render and commit; if anything fails it
puts everything back: the original branch checked out, the new branch deleted, the touched paths
as committed. Files elsewhere in the work tree are never touched, even if they are modified.

After success the new branch stays checked out, like `git switch -c` would leave it: the change
is there to inspect, amend or push. CI checks out a fresh copy for each job, so it does not mind.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from gitops.errors import GitopsError, Refused, UsageError
from gitops.repo.git import GitRepo, open_pull_request, require_gh
from gitops.repo.layout import Layout


@dataclass
class Outcome:
    branch: str
    commit: str = ""
    subject: str = ""
    files: list[str] = field(default_factory=list)
    pushed: bool = False
    pr_url: str = ""


class BranchChange:
    """`with BranchChange(...) as change:` edit files, then `change.commit(message)`."""

    def __init__(
        self,
        layout: Layout,
        branch: str,
        paths: Sequence[str],
        *,
        must_be_clean: Sequence[str] = (),
        push: bool = False,
        open_pr: bool = False,
    ):
        self.layout = layout
        self.repo = GitRepo(layout.root)
        self.branch = branch
        self.paths = list(paths)
        self.must_be_clean = list(must_be_clean) or self.paths
        self.push = push or open_pr
        self.open_pr = open_pr
        self.outcome = Outcome(branch=branch)
        self._start_branch: str | None = None
        self._start_head = ""
        self._switched = False
        self._reverting = False

    # ---- checks before anything changes
    def preflight(self) -> None:
        repo = self.repo
        if not repo.is_repository():
            raise UsageError(f"{self.layout.root} is not a git repository")
        if not repo.ref_exists("HEAD"):
            raise UsageError("the repository has no commit yet")
        dirty = repo.dirty_paths(*self.must_be_clean)
        if dirty:
            shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
            raise Refused(
                f"uncommitted changes in {shown}; commit or stash them first (they would be "
                "rendered into the commit, or get in its way)"
            )
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
        self._start_branch = repo.current_branch()
        self._start_head = repo.head()

    def __enter__(self) -> BranchChange:
        self.preflight()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        if exc is not None:
            self._undo(exc)
        return False

    # ---- steps
    def start_branch(self) -> None:
        """Create the branch at HEAD and check it out (edits made so far come along)."""
        self.repo.switch_new_branch(self.branch)
        self._switched = True

    def commit(self, message: str) -> str:
        if not self._switched:
            self.start_branch()
        self.outcome.commit = self.repo.commit_paths(message, self.paths)
        self.outcome.subject = message.splitlines()[0]
        self.outcome.files = self.changed_files()
        return self.outcome.commit

    def revert(self, commit: str) -> bool:
        """`git revert --no-edit COMMIT` on the branch; False when it stopped on conflicts."""
        if not self._switched:
            self.start_branch()
        self._reverting = True
        done = self.repo.revert(commit)
        if done:
            self._reverting = False
            self.outcome.commit = self.repo.head()
            self.outcome.subject = self.repo.run("log", "-1", "--format=%s").strip()
            self.outcome.files = self.changed_files()
        return done

    def finish_revert(self) -> None:
        self.repo.run("add", "--all", "--", *self.paths)
        self.repo.continue_revert()
        self._reverting = False
        self.outcome.commit = self.repo.head()
        self.outcome.subject = self.repo.run("log", "-1", "--format=%s").strip()
        self.outcome.files = self.changed_files()

    def changed_files(self) -> list[str]:
        out = self.repo.run("diff", "--name-only", self._start_head, "HEAD", "--", *self.paths)
        return out.split()

    def publish(self, pr_body: str) -> None:
        if self.push:
            self.repo.push(self.branch)
            self.outcome.pushed = True
        if self.open_pr:
            base = self._start_branch
            self.outcome.pr_url = open_pull_request(
                self.layout.root,
                title=self.outcome.subject,
                body=pr_body,
                head=self.branch,
                base=base,
            )

    @property
    def start_head(self) -> str:
        return self._start_head

    # ---- undo
    def _undo(self, exc: BaseException) -> None:
        repo = self.repo
        steps: list[Any] = []
        if self._reverting:
            steps.append(repo.abort_revert)
        if self._switched:
            steps.append(lambda: repo.run("reset", "--quiet", "HEAD", "--", *self.paths))
            if self._start_branch:
                steps.append(lambda: repo.switch(self._start_branch or ""))
            else:
                steps.append(lambda: repo.switch(self._start_head, detach=True))
            steps.append(lambda: repo.delete_branch(self.branch))
        steps.append(lambda: repo.restore(*self.paths))
        problems = []
        for step in steps:
            try:
                step()
            except GitopsError as problem:
                problems.append(problem.message)
        if problems:
            print(
                "warning: could not fully undo the change: " + "; ".join(problems),
                file=sys.stderr,
            )
        elif isinstance(exc, GitopsError) and self.outcome.pushed:
            exc.message += (
                f" (the branch {self.branch} had been pushed to origin: remove it there with "
                f"`git push origin --delete {self.branch}`)"
            )
