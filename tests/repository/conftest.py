"""Fixtures of the tests of this repository's own state: the committed objects of an environment
(clusters/<env>/), with the look-ups the tests make in them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

Object = dict[str, Any]


class Cluster(dict[str, Object]):
    """The committed objects of clusters/<env>/, by path relative to that folder."""

    def by_kind(self, kind: str) -> list[Object]:
        return [obj for obj in self.values() if obj["kind"] == kind]

    def one(self, kind: str, name: str) -> Object:
        found = [o for o in self.by_kind(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
        return found[0]

    def workloads(self) -> list[tuple[Object, Object]]:
        """(object, pod spec) of every workload (Deployment, StatefulSet, Job, CronJob ...)."""
        return [(obj, spec) for obj in self.values() if (spec := _pod_spec(obj)) is not None]


def _pod_spec(obj: Object) -> Object | None:
    spec = obj.get("spec") or {}
    if obj["kind"] == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    template = spec.get("template")
    return template.get("spec") if isinstance(template, dict) else None


@pytest.fixture
def load_cluster(repo_root: Path) -> Callable[[str], Cluster]:
    """load_cluster(env): the committed objects of clusters/<env>/ (read anew on every call)."""

    def load(env: str) -> Cluster:
        folder = repo_root / "clusters" / env
        return Cluster(
            (p.relative_to(folder).as_posix(), yaml.safe_load(p.read_text(encoding="utf-8")))
            for p in sorted(folder.rglob("*.yaml"))
        )

    return load
