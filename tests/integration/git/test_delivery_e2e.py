"""The delivery loop end to end, in a temporary clone of this repository's apps/, clusters/ and
bootstrap/ with a local bare repository as `origin`:

bump dev → its branch validates → diff shows exactly the image change in dev and nothing in
prod → merge → promote dev prod → prod changes by digest → merge → roll prod back → the rendered
state equals the state before the promotion, byte for byte, as `git revert` of it gives. Plus the
refusals of bump, promote and rollback, each leaving HEAD, the branch, the branch list and
`git status` as they were.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from gitops.delivery.overlay import read_overlay_image
from gitops.delivery.target import find_target
from gitops.repo.layout import Layout

pytestmark = [pytest.mark.git, pytest.mark.slow, pytest.mark.usefixtures("needs_kustomize")]
DIGEST_1 = "sha256:" + "1e" * 32
DIGEST_2 = "sha256:" + "2f" * 32


def tree_bytes(root: Path, *parts: str) -> dict[str, bytes]:
    base = root.joinpath(*parts)
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()
    }


@pytest.fixture
def clone(tmp_path: Path, repo_root: Path, init_repo, gitops) -> tuple[Path, Path]:
    """apps/, clusters/ and bootstrap/ of this repository (or of $DELIVERY_E2E_SOURCE), rendered,
    committed on main and pushed to a bare origin: (work tree, origin)."""
    source = Path(os.environ.get("DELIVERY_E2E_SOURCE", repo_root))
    root = tmp_path / "work"
    root.mkdir()
    for folder in ("apps", "clusters", "bootstrap"):
        if (source / folder).is_dir():
            shutil.copytree(source / folder, root / folder)
    code, _, err = gitops(root, "render")
    assert code == 0, err
    origin = tmp_path / "origin.git"
    init_repo(root, origin=origin)
    return root, origin


def test_bump_validate_diff_promote_and_roll_back(clone, gitops, git, merge) -> None:
    root, origin = clone

    def run(*args: str) -> tuple[int, str, str]:
        return gitops(root, *args)

    layout = Layout(root)
    dev, prod = find_target(layout, "dev"), find_target(layout, "prod")
    repository = dev.image.repository
    dev_before = read_overlay_image(dev, root).ref
    new_dev = f"{repository}:e2e-1@{DIGEST_1}"

    # bump dev, pushed to the bare origin; the work tree stays on main
    code, out, err = run("bump", "dev", new_dev, "--push")
    assert code == 0, err
    bump_branch = "bump/dev/guestbook-e2e-1-1e1e1e1e"
    assert git(root, "branch", "--show-current").strip() == "main"
    assert git(origin, "rev-parse", bump_branch) == git(root, "rev-parse", bump_branch)
    assert git(root, "log", "-1", "--format=%s", bump_branch).strip() == (
        f"bump(dev): guestbook {dev_before} → {new_dev}"
    )
    changed = git(root, "show", "--name-only", "--format=", bump_branch).split()
    assert changed[0] == layout.relative(dev.overlay_dir / "kustomization.yaml").as_posix()
    assert changed[1:] and all(p.startswith("clusters/dev/") for p in changed[1:])

    # the branch validates
    git(root, "switch", "--quiet", bump_branch)
    code, out, err = run("validate")
    assert code == 0, out + err

    # the diff is exactly the image change in dev, nothing in prod
    code, out, err = run("diff", "main", "--format", "markdown", "--exit-code")
    assert code == 1, err
    summary = out.splitlines()[1]
    assert summary.endswith("; prod: no change"), summary
    match = re.search(r"dev: (\d+) changed \((.*)\); prod", summary)
    assert match, summary
    items = match.group(2).split("; ")
    more = re.fullmatch(r"and (\d+) more", items[-1])  # the summary lists the first few
    listed = items[:-1] if more else items
    assert len(listed) + (int(more.group(1)) if more else 0) == int(match.group(1))
    for item in listed:
        assert item.endswith(f": image {dev_before} → {new_dev}"), item

    # merge it; promote dev → prod, by digest; merge that
    git(root, "switch", "--quiet", "main")
    merge(root, bump_branch)
    clusters_before_promotion = tree_bytes(root, "clusters")
    code, out, err = run("promote", "dev", "prod")
    assert code == 0, err
    merge(root, "promote/prod/guestbook-e2e-1-1e1e1e1e")
    prod_now = read_overlay_image(prod, root).ref
    assert str(prod_now) == new_dev
    assert prod_now.digest == DIGEST_1
    assert any(
        DIGEST_1 in data.decode()
        for name, data in tree_bytes(root, "clusters", "prod").items()
        if name.endswith(".yaml")
    )
    code, out, err = run("validate")
    assert code == 0, out + err
    promotion = git(root, "rev-parse", "HEAD").strip()

    # roll prod back: the rendered state is the one before the promotion, byte for byte, and the
    # same as `git revert` of the promotion's merge
    code, out, err = run("rollback", "prod")
    assert code == 0, err
    assert f"(reverts {promotion[:10]})" in err
    git(root, "switch", "--quiet", f"rollback/prod/{promotion[:10]}")
    assert tree_bytes(root, "clusters") == clusters_before_promotion
    rollback_tree = git(root, "rev-parse", "HEAD^{tree}")
    git(root, "switch", "--quiet", "--detach", promotion)
    git(root, "revert", "--no-edit", "-m", "1", promotion)
    assert git(root, "rev-parse", "HEAD^{tree}") == rollback_tree


def test_refusals_change_nothing(
    clone, gitops, repo_state, monkeypatch, *, path_without_gh, merge
) -> None:
    root, _ = clone

    def run(*args: str) -> tuple[int, str, str]:
        return gitops(root, *args)

    layout = Layout(root)
    dev = find_target(layout, "dev")
    repository = dev.image.repository
    running = read_overlay_image(dev, root).ref
    cases = [
        (("bump", "dev", f"{repository}:latest"), 1, "the tag 'latest' moves"),
        (("bump", "dev", repository), 1, "has neither tag nor digest"),
        (("bump", "dev", f"{repository}@sha256:12ab"), 1, "malformed digest"),
        (("bump", "staging", f"{repository}:1.0"), 2, "unknown environment 'staging'"),
        (("bump", "prod", f"{repository}:1.0"), 1, "prod requires images pinned by digest"),
        (
            ("bump", "dev", "ghcr.io/someone-else/guestbook:1.0"),
            1,
            "change apps.guestbook.image.repository",
        ),
        (("bump", "dev", str(running)), 0, f"dev already runs {running}; nothing to do"),
        (("rollback", "prod"), 1, "the oldest image git records for it"),
        (("rollback", "dev"), 1, "the oldest image git records for it"),
        (("rollback", "dev", "--to", "nothing-like-this"), 2, "neither an image reference"),
    ]
    if running.digest is None:
        cases.append((("promote", "dev", "prod"), 1, "which is not pinned by digest"))
    for args, expected, message in cases:
        before = repo_state(root)
        code, out, err = run(*args)
        assert (code, message in out + err) == (expected, True), (args, out, err)
        assert repo_state(root) == before, args

    # promote when prod already runs what dev runs
    assert run("bump", "dev", f"{repository}@{DIGEST_2}")[0] == 0
    merge(root, "bump/dev/guestbook-2f2f2f2f2f2f")
    assert run("promote", "dev", "prod")[0] == 0
    merge(root, "promote/prod/guestbook-2f2f2f2f2f2f")
    before = repo_state(root)
    code, _, err = run("promote", "dev", "prod")
    assert code == 1
    assert f"prod already runs {repository}@{DIGEST_2}" in err
    assert repo_state(root) == before

    # --open-pr without gh
    monkeypatch.setenv("PATH", path_without_gh)
    code, _, err = run("bump", "dev", f"{repository}:2.0", "--open-pr")
    assert code == 2
    assert "--open-pr needs the GitHub CLI `gh`" in err
    assert repo_state(root) == before
