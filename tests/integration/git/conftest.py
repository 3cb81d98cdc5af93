"""Fixtures of the tests that run git: throwaway repositories run with a git identity of their own
(so that the tests run on a machine without git config), the command line run in them, and the
small fixture repository (tests/fixtures/delivery/repo) that bump, promote, rollback and diff
work on."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops import cli
from gitops.repo.layout import Layout
from gitops.validation.model import Finding

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Delivery Test",
    "GIT_AUTHOR_EMAIL": "delivery@example.com",
    "GIT_COMMITTER_NAME": "Delivery Test",
    "GIT_COMMITTER_EMAIL": "delivery@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}

Git = Callable[..., str]
Gitops = Callable[..., tuple[int, str, str]]


@pytest.fixture
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git commits as "Delivery Test", with a global config of its own (default branch main)."""
    config = tmp_path / "gitconfig"
    config.write_text("[init]\n\tdefaultBranch = main\n")
    for key, value in {**GIT_ENV, "GIT_CONFIG_GLOBAL": str(config)}.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def git() -> Git:
    """git(root, *args): run git in `root`; its output (fails the test when git fails)."""

    def run(root: Path, *args: str) -> str:
        result = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
        return result.stdout

    return run


@pytest.fixture
def init_repo(git: Git, request: pytest.FixtureRequest) -> Callable[..., Path]:
    """init_repo(root, origin=None): `root` as a git repository on `main` with everything
    committed; with `origin`, a bare repository there as its remote, main pushed. Git runs with
    the tests' identity (`git_identity`) from then on."""
    request.getfixturevalue("git_identity")

    def init(root: Path, *, origin: Path | None = None) -> Path:
        git(root, "init", "--quiet", "--initial-branch=main")
        git(root, "add", "--all")
        git(root, "commit", "--quiet", "-m", "initial state")
        if origin is not None:
            subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
            git(root, "remote", "add", "origin", str(origin))
            git(root, "push", "--quiet", "origin", "main")
        return root

    return init


@pytest.fixture
def repo_state(git: Git) -> Callable[[Path], dict[str, object]]:
    """repo_state(root): what a refused command must leave unchanged: HEAD, the branch, the
    branches, `git status`."""

    def state(root: Path) -> dict[str, object]:
        return {
            "head": git(root, "rev-parse", "HEAD").strip(),
            "branch": git(root, "branch", "--show-current").strip(),
            "branches": git(root, "branch", "--list", "--format=%(refname:short)").split(),
            "status": git(root, "status", "--porcelain", "--untracked-files=all"),
        }

    return state


@pytest.fixture
def last_commit_files(git: Git) -> Callable[[Path], list[str]]:
    """last_commit_files(root): the paths HEAD's commit changed."""
    return lambda root: git(root, "show", "--name-only", "--format=", "HEAD").split()


@pytest.fixture
def gitops(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Gitops:
    """gitops(root, *args): `python -m gitops ARGS` in `root`, in-process: (exit code, stdout,
    stderr)."""

    def run(root: Path, *args: str) -> tuple[int, str, str]:
        monkeypatch.chdir(root)
        capsys.readouterr()
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def path_without_gh(tmp_path: Path) -> str:
    """A PATH with git, kubectl and kustomize (those there are) but no `gh`."""
    bin_dir = tmp_path / "bin-no-gh"
    bin_dir.mkdir()
    for tool in ("git", "kubectl", "kustomize"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    assert not (bin_dir / "gh").exists()
    return str(bin_dir)


# ---- the fixture repository of bump, promote, rollback and diff


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
def repo(
    tmp_path: Path,
    fixtures_dir: Path,
    init_repo: Callable[..., Path],
    findings: list[Finding],
    request: pytest.FixtureRequest,
) -> Path:
    """tests/fixtures/delivery/repo rendered (needs kustomize) and committed on main, pushed to a
    bare origin (tmp_path/origin.git)."""
    request.getfixturevalue("needs_kustomize")
    from gitops.render import sync
    from gitops.render.state import render_all

    root = shutil.copytree(fixtures_dir / "delivery" / "repo", tmp_path / "work")
    sync.write(Layout(root), render_all(Layout(root)))
    return init_repo(root, origin=tmp_path / "origin.git")


SHOP_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
        - name: shop
          image: shop
"""
SHOP_OVERLAY = """\
namespace: shop-{env}
resources:
  - deployment.yaml
images:
  - name: shop
    newName: ghcr.io/example/shop
    newTag: "1"
"""
SHOP_FACTS = """\
  shop:
    namespace: shop-{env}
    image:
      name: shop
      repository: ghcr.io/example/shop
      requireDigest: {digest}
"""


@pytest.fixture
def two_apps_repo(
    tmp_path: Path,
    fixtures_dir: Path,
    init_repo: Callable[..., Path],
    findings: list[Finding],
    request: pytest.FixtureRequest,
) -> Path:
    """The fixture repository with a second app, shop, that pins ghcr.io/example/shop:1 in dev
    and prod (prod requires a digest for it too; not given, so prod does not validate as is),
    rendered and committed on main (needs kustomize)."""
    request.getfixturevalue("needs_kustomize")
    from gitops.render import sync
    from gitops.render.state import render_all

    root = shutil.copytree(fixtures_dir / "delivery" / "repo", tmp_path / "work")
    layout = Layout(root)
    for env, digest in (("dev", "false"), ("prod", "true")):
        overlay = layout.overlay_dir("shop", env)
        overlay.mkdir(parents=True)
        (overlay / "deployment.yaml").write_text(SHOP_DEPLOYMENT)
        (overlay / "kustomization.yaml").write_text(SHOP_OVERLAY.format(env=env))
        facts = layout.facts_file(env)
        facts.write_text(facts.read_text() + SHOP_FACTS.format(env=env, digest=digest))
    sync.write(layout, render_all(layout))
    return init_repo(root)


@pytest.fixture
def run(repo: Path, gitops: Gitops) -> Callable[..., tuple[int, str, str]]:
    """run(*args): `python -m gitops ARGS` in the fixture repository."""
    return lambda *args: gitops(repo, *args)


@pytest.fixture
def merge(git: Git) -> Callable[[Path, str], str]:
    """merge(repo, branch): merge `branch` into the checked-out main with a merge commit, as a
    pull request's merge button does; the merge commit's sha."""

    def merge_branch(repo: Path, branch: str) -> str:
        git(repo, "merge", "--quiet", "--no-ff", "-m", f"Merge branch '{branch}'", branch)
        return git(repo, "rev-parse", "HEAD").strip()

    return merge_branch


@pytest.fixture(autouse=True)
def no_attestation_verifier(monkeypatch: pytest.MonkeyPatch) -> None:
    """promote checks provenance with gh when gh is installed (GitHub's runners have it): here it
    is not found, unless a test asks for the fake one (`fake_gh`, tests/conftest.py)."""
    from gitops.delivery import provenance

    monkeypatch.setattr(provenance, "find_verifier", lambda: None)
