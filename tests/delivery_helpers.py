"""Helpers of the delivery tests: throwaway git repositories made from fixtures, run with a git
identity of their own (so the tests run on a machine without git config)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from gitops import cli

FIXTURES = Path(__file__).parent / "fixtures" / "delivery"
REPO = Path(__file__).resolve().parents[1]
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Delivery Test",
    "GIT_AUTHOR_EMAIL": "delivery@example.com",
    "GIT_COMMITTER_NAME": "Delivery Test",
    "GIT_COMMITTER_EMAIL": "delivery@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def use_git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[init]\n\tdefaultBranch = main\n")
    for key, value in {**GIT_ENV, "GIT_CONFIG_GLOBAL": str(config)}.items():
        monkeypatch.setenv(key, value)


def git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def init_repo(root: Path, *, origin: Path | None = None) -> Path:
    """`root` as a git repository on `main` with everything committed; optionally a bare origin."""
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "initial state")
    if origin is not None:
        subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
        git(root, "remote", "add", "origin", str(origin))
        git(root, "push", "--quiet", "origin", "main")
    return root


def state(root: Path) -> dict[str, object]:
    """What a refused command must leave unchanged: HEAD, branch, branches, status."""
    return {
        "head": git(root, "rev-parse", "HEAD").strip(),
        "branch": git(root, "branch", "--show-current").strip(),
        "branches": git(root, "branch", "--list", "--format=%(refname:short)").split(),
        "status": git(root, "status", "--porcelain", "--untracked-files=all"),
    }


def tree_bytes(root: Path, *parts: str) -> dict[str, bytes]:
    base = root.joinpath(*parts)
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()
    }


def gitops(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run `python -m gitops ARGS` in `root` (in-process); (exit code, stdout, stderr)."""
    monkeypatch.chdir(root)
    capsys.readouterr()
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def copy_fixture(name: str, dest: Path) -> Path:
    shutil.copytree(FIXTURES / name, dest)
    return dest


def without_gh_path(tmp_path: Path) -> str:
    """A PATH with git and kubectl but no `gh`."""
    bin_dir = tmp_path / "bin-no-gh"
    bin_dir.mkdir()
    for tool in ("git", "kubectl", "kustomize"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    assert not (bin_dir / "gh").exists()
    return str(bin_dir)
