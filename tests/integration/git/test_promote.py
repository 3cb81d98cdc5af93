"""`gitops promote` on the fixture repository: the image dev runs, by digest, to prod."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.git
IMAGE = "ghcr.io/example/guestbook"
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
DEV_OVERLAY = "apps/guestbook/overlays/dev/kustomization.yaml"
PROD_OVERLAY = "apps/guestbook/overlays/prod/kustomization.yaml"


def test_promote_copies_the_digest_dev_runs(repo: Path, run, git, merge) -> None:
    assert run("bump", "dev", f"{IMAGE}:1.1.0@{DIGEST_A}")[0] == 0
    merge(repo, "bump/dev/guestbook-1.1.0-aaaaaaaa")
    code, _out, err = run("promote", "dev", "prod")
    assert code == 0, err
    branch = "promote/prod/guestbook-1.1.0-aaaaaaaa"
    old = f"{IMAGE}:0.9.0@sha256:" + "1" * 64
    subject = f"promote(prod): guestbook {old} → {IMAGE}:1.1.0@{DIGEST_A} (from dev)"
    assert git(repo, "log", "-1", "--format=%s", branch).strip() == subject
    assert git(repo, "show", "--name-only", "--format=", branch).split() == [
        PROD_OVERLAY,
        "clusters/prod/deployment-web.yaml",
    ]
    deployment = git(repo, "show", f"{branch}:clusters/prod/deployment-web.yaml")
    assert f"image: {IMAGE}:1.1.0@{DIGEST_A}" in deployment
    assert git(repo, "branch", "--show-current").strip() == "main"


def test_promote_refuses_an_image_not_pinned_by_digest(repo: Path, run, repo_state) -> None:
    before = repo_state(repo)
    code, _, err = run("promote", "dev", "prod")
    assert code == 1
    assert f"dev runs {IMAGE}:1.0.0, which is not pinned by digest" in err
    assert f"({DEV_OVERLAY}:8)" in err
    assert repo_state(repo) == before


def test_promote_refuses_when_target_already_runs_it(repo: Path, run, repo_state, merge) -> None:
    assert run("bump", "dev", f"{IMAGE}@{DIGEST_B}")[0] == 0
    merge(repo, "bump/dev/guestbook-bbbbbbbbbbbb")
    assert run("promote", "dev", "prod")[0] == 0
    merge(repo, "promote/prod/guestbook-bbbbbbbbbbbb")
    before = repo_state(repo)
    code, _, err = run("promote", "dev", "prod")
    assert code == 1
    assert f"prod already runs {IMAGE}@{DIGEST_B}" in err
    assert "nothing to promote" in err
    assert repo_state(repo) == before
