"""The load-test component (apps/guestbook/components/load-test): an overlay that includes it
with ../autoscaling renders a Job that drives GET /compute inside the namespace, and the gate
passes; /compute itself is on only where the overlay says so (dev), never in prod's render."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from gitops.repo.layout import Layout


def _gitops(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gitops", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_dev_with_the_load_test_renders_and_passes_the_gate(
    tmp_path: Path, copy_repo: Callable[[Path], Layout]
) -> None:
    repo = copy_repo(tmp_path / "repo")
    overlay = repo.root / "apps/guestbook/overlays/dev/kustomization.yaml"
    text = overlay.read_text()
    components = "components:\n  - ../../components/public-host\n"
    assert components in text
    overlay.write_text(
        text.replace(
            components,
            components + "  - ../../components/autoscaling\n  - ../../components/load-test\n",
        )
    )
    render = _gitops(repo.root, "render")
    assert render.returncode == 0, render.stderr
    gate = _gitops(repo.root, "validate")
    assert gate.returncode == 0, gate.stdout + gate.stderr

    app = repo.root / "clusters/dev/app"
    job = yaml.safe_load((app / "job-guestbook-load-test.yaml").read_text())
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith("ghcr.io/example/guestbook:")  # the overlay's pin
    assert "http://guestbook-web/compute" in container["command"][-1]
    assert (app / "horizontalpodautoscaler-guestbook-web.yaml").is_file()
    (config,) = app.glob("configmap-guestbook-web-*.yaml")
    assert yaml.safe_load(config.read_text())["data"]["COMPUTE_ENABLED"] == "1"


def test_compute_is_off_in_prods_rendered_settings(repo_root: Path) -> None:
    (config,) = (repo_root / "clusters/prod/app").glob("configmap-guestbook-web-*.yaml")
    assert yaml.safe_load(config.read_text())["data"]["COMPUTE_ENABLED"] == "0"
    assert not list((repo_root / "clusters/prod").rglob("job-guestbook-load-test.yaml"))
