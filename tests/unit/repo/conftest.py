"""Fixtures of the tests of gitops.repo: a small repository of two apps and two environments,
written here (so that the line numbers the tests expect do not move with this repository's own
facts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.repo.layout import Layout

DEV_FACTS = """\
# the dev cluster
kubernetesVersion: "1.34"
requiredKinds: []
customResources: []
certificates:
  issuer: letsencrypt-staging
  email: platform@example.com
  server: https://acme-staging-v02.api.letsencrypt.org/directory
apps:
  guestbook:
    namespace: guestbook-dev
    host: guestbook.dev.example.com
    image:
      name: guestbook
      repository: ghcr.io/example/guestbook
      requireDigest: false
    backup:
      endpoint: https://s3.example.com
      bucket: guestbook-backups
      prefix: guestbook-dev/
"""
"""The facts of dev in `facts_repo`: line 2 kubernetesVersion, 5 certificates, 9 apps, 10
guestbook, 11 namespace, 13 image, 16 requireDigest, 17 backup, 18 endpoint, 19 bucket, 20
prefix."""

PROD_FACTS = """\
kubernetesVersion: "1.33"
requiredKinds: [HorizontalPodAutoscaler, PodDisruptionBudget]
apps:
  guestbook:
    namespace: guestbook-prod
    host: guestbook.example.com
    image:
      name: guestbook
      repository: ghcr.io/example/guestbook
      requireDigest: true
"""


@pytest.fixture
def facts_repo(tmp_path: Path) -> Layout:
    """A repository with apps/environments/{dev,prod}/environment.yaml (DEV_FACTS, PROD_FACTS)
    and the overlays of two apps, guestbook and infrastructure, for both; `edit_facts` breaks
    dev's facts."""
    root = tmp_path / "repo"
    for env, text in (("dev", DEV_FACTS), ("prod", PROD_FACTS)):
        folder = root / "apps" / "environments" / env
        folder.mkdir(parents=True)
        (folder / "environment.yaml").write_text(text)
        for app in ("guestbook", "infrastructure"):
            overlay = root / "apps" / app / "overlays" / env
            overlay.mkdir(parents=True)
            (overlay / "kustomization.yaml").write_text("resources: []\n")
    return Layout(root)
