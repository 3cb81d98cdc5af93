"""Fixtures of the delivery unit tests: copies of the small delivery repository
(tests/fixtures/delivery/repo: one app, guestbook, in dev and prod), and the same with a second
app that pins an image too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops.repo.layout import Layout

SHOP_FACTS = """\
  shop:
    namespace: shop-{env}
    image:
      name: shop
      repository: ghcr.io/example/shop
      requireDigest: false
"""


@pytest.fixture
def layout(tmp_path: Path, fixtures_dir: Path) -> Layout:
    """A copy of tests/fixtures/delivery/repo (dev at 1.0.0; prod indented differently)."""
    shutil.copytree(fixtures_dir / "delivery" / "repo", tmp_path / "repo")
    return Layout(tmp_path / "repo")


@pytest.fixture
def two_apps(layout: Layout) -> Layout:
    """`layout` with a second app, shop, whose overlays pin ghcr.io/example/shop in dev and
    prod, and whose facts say so."""
    for env in ("dev", "prod"):
        overlay = layout.overlay_dir("shop", env)
        overlay.mkdir(parents=True)
        (overlay / "kustomization.yaml").write_text(
            "images:\n  - name: shop\n    newName: ghcr.io/example/shop\n    newTag: '1'\n"
        )
        facts = layout.facts_file(env)
        facts.write_text(facts.read_text() + SHOP_FACTS.format(env=env))
    return layout
