"""Thin git (and GitHub CLI) plumbing: each method is one `git -C root ...` call.

Errors become GitopsError carrying git's own message. Nothing here decides policy: callers
(`gitops.delivery`, `gitops.diff`) decide what to check and what to change.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gitops.errors import GitopsError, ToolMissing, UsageError
from gitops.system.process import require_tool, run


@dataclass(frozen=True)
class Commit:
    sha: str
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:10]


class GitRepo:
    """The git repository whose work tree is `root`."""

    def __init__(self, root: Path):
        self.root = Path(root)
        require_tool("git")

    def run(self, *args: str, check: bool = True, input_bytes: bytes | None = None) -> str:
        """`git -C root ARGS`; its stdout as text. A GitopsError with git's stderr on failure."""
        result = self._run(args, input_bytes=input_bytes)
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).decode(errors="replace").strip()
            raise GitopsError(f"git {' '.join(args)} failed: {detail}")
        return result.stdout.decode(errors="replace")

    def _run(
        self, args: Sequence[str], input_bytes: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        return run(
            ["git", "-C", str(self.root), *args],
            what=f"git {args[0] if args else ''}",
            text=False,
            check=False,
            input=input_bytes,
            extra_env={"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )

    def succeeds(self, *args: str) -> bool:
        return self._run(args).returncode == 0

    # ---- where we are
    def is_repository(self) -> bool:
        return self.succeeds("rev-parse", "--git-dir")

    def top_level(self) -> Path:
        return Path(self.run("rev-parse", "--show-toplevel").strip())

    def prefix(self) -> Path:
        """Where `root` is inside the repository: `.` when it is the top level."""
        top = self.top_level().resolve()
        try:
            return self.root.resolve().relative_to(top)
        except ValueError:
            return Path()

    def current_branch(self) -> str | None:
        """The checked-out branch, or None on a detached HEAD."""
        result = self._run(["symbolic-ref", "--quiet", "--short", "HEAD"])
        if result.returncode != 0:
            return None
        return result.stdout.decode().strip() or None

    def head(self) -> str:
        return self.resolve("HEAD")

    def resolve(self, ref: str) -> str:
        """The commit `ref` names; a UsageError when it names none."""
        result = self._run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"])
        if result.returncode != 0:
            raise UsageError(f"{ref!r} is not a commit, branch or tag of this repository")
        return result.stdout.decode().strip()

    def ref_exists(self, ref: str) -> bool:
        return self._run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"]).returncode == 0

    def branch_exists(self, name: str) -> bool:
        return self.succeeds("show-ref", "--verify", "--quiet", f"refs/heads/{name}")

    def dirty_paths(self, *paths: str) -> list[str]:
        """Uncommitted changes (staged, unstaged or untracked) under `paths`, as git lists them."""
        out = self.run("status", "--porcelain", "--untracked-files=all", "--", *paths)
        return [line[3:] for line in out.splitlines() if line.strip()]

    def merge_base(self, a: str, b: str) -> str:
        return self.run("merge-base", a, b).strip()

    def remotes(self) -> list[str]:
        return self.run("remote").split()

    # ---- reading history
    def first_parent_log(self, *paths: str) -> list[Commit]:
        """The commits of HEAD's first-parent line that touch `paths`, oldest first (merge
        commits included: on `main` they are where a change arrived)."""
        out = self.run(
            "log", "--first-parent", "--reverse", "--format=%H%x00%s", "HEAD", "--", *paths
        )
        commits = []
        for line in out.splitlines():
            sha, _, subject = line.partition("\0")
            commits.append(Commit(sha, subject))
        return commits

    def show_file(self, ref: str, path: str) -> bytes | None:
        """The content of `path` (relative to the root) at `ref`, or None if it did not exist."""
        result = self._run(["show", f"{ref}:./{path}"])
        return result.stdout if result.returncode == 0 else None

    @contextmanager
    def exported_tree(self, ref: str, *paths: str) -> Iterator[Path]:
        """A temporary folder holding `paths` (all when none) as committed at `ref`."""
        commit = self.resolve(ref)
        with tempfile.TemporaryDirectory(prefix="gitops-tree-") as tmp:
            result = self._run(["archive", "--format=tar", commit, "--", *paths])
            if result.returncode != 0:
                detail = result.stderr.decode(errors="replace").strip()
                if "did not match any files" not in detail:
                    raise GitopsError(f"git archive {ref} failed: {detail}")
            else:
                tar_path = Path(tmp) / ".tree.tar"
                tar_path.write_bytes(result.stdout)
                with tarfile.open(tar_path) as archive:
                    archive.extractall(tmp, filter="data")
                tar_path.unlink()
            yield Path(tmp)

    def valid_branch_name(self, name: str) -> bool:
        return self.succeeds("check-ref-format", "--branch", name)


def open_pull_request(root: Path, *, title: str, body: str, head: str, base: str | None) -> str:
    """Open a pull request with the GitHub CLI; its URL. ToolMissing when `gh` is not installed."""
    gh = require_gh()
    args = [gh, "pr", "create", "--title", title, "--body-file", "-", "--head", head]
    if base:
        args += ["--base", base]
    result = run(args, what="gh pr create", cwd=root, input=body, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise GitopsError(f"gh pr create failed: {detail}")
    return result.stdout.strip()


def require_gh() -> str:
    """The GitHub CLI's path, or ToolMissing saying what --open-pr needs instead."""
    gh = shutil.which("gh")
    if gh is None:
        raise ToolMissing(
            "--open-pr needs the GitHub CLI `gh` (https://cli.github.com), which is not on PATH; "
            "install it and run `gh auth login`, or push with --push and open the pull request "
            "on GitHub"
        )
    return gh
