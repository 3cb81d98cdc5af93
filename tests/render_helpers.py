"""Shared by the render, cluster-state and bootstrap tests: the repository, its rendered objects,
temporary copies to break, and the kustomize requirement."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops.repo.layout import Layout

REPO = Path(__file__).resolve().parents[1]
INSTALL_KUSTOMIZE = (
    "needs kustomize or kubectl: install kubectl (https://kubernetes.io/docs/tasks/tools/) or "
    "kustomize (https://kubectl.docs.kubernetes.io/installation/kustomize/)"
)


def require_kustomize() -> None:
    """Skip (fail when GUESTBOOK_REQUIRE_SERVERS=1, as in CI) without kustomize and kubectl."""
    if shutil.which("kustomize") or shutil.which("kubectl"):
        return
    if os.environ.get("GUESTBOOK_REQUIRE_SERVERS") == "1":
        pytest.fail(INSTALL_KUSTOMIZE)
    pytest.skip(INSTALL_KUSTOMIZE)


def copy_repo(target: Path) -> Layout:
    """A copy of what render reads and writes (apps/, clusters/, bootstrap/), to change freely."""
    for name in ("apps", "clusters", "bootstrap"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, target / name)
    return Layout(target)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes (relative paths), to compare before and after."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def load_cluster(env: str, root: Path = REPO) -> dict[str, dict[str, Any]]:
    """The committed objects of clusters/<env>/, by path relative to that folder."""
    folder = root / "clusters" / env
    return {
        p.relative_to(folder).as_posix(): yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted(folder.rglob("*.yaml"))
    }


def by_kind(objects: dict[str, dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects.values() if obj["kind"] == kind]


def one(objects: dict[str, dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in by_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The pod spec of a workload (Deployment, StatefulSet, Job, CronJob ...), else None."""
    spec = obj.get("spec") or {}
    if obj["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    template = spec.get("template")
    return template.get("spec") if isinstance(template, dict) else None
