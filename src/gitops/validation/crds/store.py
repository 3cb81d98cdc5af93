"""The vendored schema files: reading them (cached) and replacing them all at once.

Layout of a data folder (default: `vendored/` beside this module):
- `index.json`: every vendored kind: group, kind, scope, file, and served/storage per version;
- `<group>/<plural>.json`: a `KindSchemas` (schemas without descriptions, plus CEL rules);
- `SOURCES.yaml`: where each kind came from (repository, path, commit, release, sha256, date) and
  the upstream URL of each CRD per release, for `refresh --release`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from gitops.validation.crds.extract import KindSchemas

DEFAULT_DATA_DIR = Path(__file__).parent / "vendored"
INDEX = "index.json"
SOURCES = "SOURCES.yaml"


class Catalog:
    """The vendored kinds of one data folder; files are read once, on first use."""

    def __init__(self, data_dir: Path = DEFAULT_DATA_DIR) -> None:
        self.data_dir = data_dir
        self._kinds: dict[tuple[str, str], KindSchemas] = {}

    @cached_property
    def index(self) -> dict[tuple[str, str], dict[str, Any]]:
        path = self.data_dir / INDEX
        if not path.exists():
            return {}
        entries = json.loads(path.read_text())["kinds"]
        return {(e["group"], e["kind"]): e for e in entries}

    @cached_property
    def sources(self) -> dict[str, Any]:
        path = self.data_dir / SOURCES
        return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}

    def kind(self, group: str, kind: str) -> KindSchemas | None:
        key = (group, kind)
        if key not in self._kinds:
            entry = self.index.get(key)
            if entry is None:
                return None
            data = json.loads((self.data_dir / entry["file"]).read_text())
            self._kinds[key] = KindSchemas.from_json(data)
        return self._kinds[key]

    def all_kinds(self) -> list[KindSchemas]:
        found = (self.kind(group, kind) for group, kind in sorted(self.index))
        return [k for k in found if k is not None]


def kind_file(kind: KindSchemas) -> str:
    return f"{kind.group}/{kind.plural}.json"


def kind_bytes(kind: KindSchemas) -> bytes:
    """The exact bytes of a kind's data file (SOURCES.yaml records their sha256)."""
    return json.dumps(kind.to_json(), separators=(",", ":"), sort_keys=True).encode()


def write_catalog(data_dir: Path, kinds: list[KindSchemas], sources: dict[str, Any]) -> None:
    """Replace the whole data folder: write a sibling folder, then swap it in by renames.

    On any error before the swap the old folder is untouched and the new one is removed.
    """
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=data_dir.parent, prefix=f".{data_dir.name}.new-"))
    try:
        staging.chmod(0o755)
        index = []
        for kind in sorted(kinds, key=lambda k: (k.group, k.kind)):
            rel = kind_file(kind)
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(kind_bytes(kind))
            versions = {v.name: {"served": v.served, "storage": v.storage} for v in kind.versions}
            index.append(
                {
                    "group": kind.group,
                    "kind": kind.kind,
                    "scope": kind.scope,
                    "file": rel,
                    "versions": versions,
                }
            )
        (staging / INDEX).write_text(json.dumps({"kinds": index}, indent=1, sort_keys=True) + "\n")
        header = (
            "# Where each vendored CRD schema came from. Written by\n"
            "# `python -m gitops.validation.crds.refresh`; edit `upstreams` by hand if needed.\n"
        )
        body = yaml.safe_dump(sources, sort_keys=False, default_flow_style=False, width=100)
        (staging / SOURCES).write_text(header + body)
        for extra in ("__init__.py",):
            if (data_dir / extra).exists():
                shutil.copy2(data_dir / extra, staging / extra)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = data_dir.parent / f".{data_dir.name}.old-{os.getpid()}"
    if data_dir.exists():
        os.rename(data_dir, old)
    os.rename(staging, data_dir)
    shutil.rmtree(old, ignore_errors=True)
