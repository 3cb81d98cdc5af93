"""Fixtures of the render tests: stand-ins for kustomize, so that no real one is needed, and the
objects of a per-controller layer as Flux describes them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture
def fake_tool() -> Callable[..., Path]:
    """fake_tool(folder, name, output=""): an executable `folder/name` that prints `output` and
    appends its command line to `folder/calls`."""

    def make(folder: Path, name: str, output: str = "") -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(
            f"#!/bin/sh\necho \"$0 $*\" >> {folder}/calls\ncat <<'EOF'\n{output}\nEOF\n"
        )
        path.chmod(0o755)
        return path

    return make


class FakeKustomize:
    """A stand-in for kustomize that "builds" each app's overlay into the stream given for that
    app (`streams[app]`), and records the overlays it built."""

    def __init__(self, streams: dict[str, str]) -> None:
        self.streams = streams
        self.built: list[Path] = []

    def build(self, overlay: Path, shown: Path | str) -> str:
        self.built.append(overlay)
        return self.streams[overlay.parent.parent.name]


@pytest.fixture
def fake_kustomize() -> Callable[[dict[str, str]], FakeKustomize]:
    """fake_kustomize({app: stream}): a kustomize that returns `stream` for each overlay of
    `app` (pass it to render_environment)."""
    return FakeKustomize


FLUX_CONTROLLERS = """\
apiVersion: v1
kind: Namespace
metadata:
  name: ctl-system
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: charts
  namespace: flux-system
spec:
  url: https://charts.example.com
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ctl
  namespace: flux-system
  labels:
    app.kubernetes.io/component: controllers
spec:
  chart:
    spec:
      chart: ctl-chart
      version: 1.2.3
      sourceRef:
        kind: HelmRepository
        name: charts
  releaseName: ctl-release
  targetNamespace: ctl-system
  values:
    replicas: 2
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: gateway
  namespace: flux-system
spec:
  url: oci://docker.io/example/gateway-helm
  ref:
    tag: v1.9.0
    digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: gateway
  namespace: flux-system
spec:
  chartRef:
    kind: OCIRepository
    name: gateway
  targetNamespace: gateway-system
  install:
    crds: Skip
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: crds
  namespace: flux-system
spec:
  url: https://github.com/example/crds
  ref:
    tag: v1.6.1
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: crds
  namespace: flux-system
spec:
  sourceRef:
    kind: GitRepository
    name: crds
  path: ./config/crd
  prune: true
"""
"""What a per-controller layer holds, as Flux describes it: a Namespace, a HelmRelease of a
HelmRepository, a HelmRelease of an OCIRepository (chartRef), a Kustomization of a GitRepository."""


@pytest.fixture
def flux_controllers() -> list[dict[str, Any]]:
    """The objects of FLUX_CONTROLLERS, parsed anew for each test (to change freely)."""
    return [doc for doc in yaml.safe_load_all(FLUX_CONTROLLERS) if doc]
