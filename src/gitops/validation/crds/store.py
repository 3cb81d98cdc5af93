"""The catalog's files: reading them (lazily, cached) and replacing them all at once.

Layout of a data folder (default: `vendored/` beside this module):
- `index.json`: every kind of the catalog, one per line: group, kind, scope, file, and
  served/storage per version (read once, the first time a custom resource is looked up);
- `<group>/<plural>.json.gz`: a `KindSchemas` (schemas without descriptions, plus CEL rules) as
  compact JSON, gzipped: read only when an object of that kind is checked;
- `SOURCES.yaml`: where each kind came from (upstream, repository, path, commit, release, sha256,
  date) and, under `upstreams`, how `refresh --release` reads each upstream release.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zlib
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
        """SOURCES.yaml (large: only `refresh`, the report and the tests read it)."""
        path = self.data_dir / SOURCES
        if not path.exists():
            return {}
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506

    def kind(self, group: str, kind: str) -> KindSchemas | None:
        key = (group, kind)
        if key not in self._kinds:
            entry = self.index.get(key)
            if entry is None:
                return None
            data = json.loads(read_data(self.data_dir / entry["file"]))
            self._kinds[key] = KindSchemas.from_json(data)
        return self._kinds[key]

    def all_kinds(self) -> list[KindSchemas]:
        found = (self.kind(group, kind) for group, kind in sorted(self.index))
        return [k for k in found if k is not None]


def read_data(path: Path) -> bytes:
    """The JSON bytes of a kind's file (`.json.gz`, or plain `.json` as older folders have)."""
    raw = path.read_bytes()
    return zlib.decompress(raw, wbits=31) if path.name.endswith(".gz") else raw


def kind_file(kind: KindSchemas) -> str:
    return f"{kind.group}/{kind.plural}.json.gz"


def kind_bytes(kind: KindSchemas) -> bytes:
    """The exact bytes of a kind's data file (SOURCES.yaml records their sha256)."""
    return json.dumps(kind.to_json(), separators=(",", ":"), sort_keys=True).encode()


def _origins(record: dict[str, Any]) -> list[list[str]]:
    """[repository, path] of each upstream file a kind was read from (its SOURCES.yaml record)."""
    found = [record.get("source") or {}, *(record.get("also") or [])]
    return [
        [str(s["repository"]), str(s["path"])]
        for s in found
        if s.get("repository") and s.get("path")
    ]


def origins(data_dir: Path = DEFAULT_DATA_DIR) -> tuple[tuple[str, str, str], ...]:
    """(repository, path, API group) of every upstream file the catalog's kinds came from.

    Read from index.json (small), not SOURCES.yaml: `applyorder` asks it which API groups a
    Flux Kustomization or Argo CD Application of an upstream repository's path installs.
    """
    return tuple(
        (repository, path, group)
        for (group, _), entry in Catalog(data_dir).index.items()
        for repository, path in entry.get("from") or ()
    )


def index_text(entries: list[dict[str, Any]]) -> str:
    """index.json: compact, one kind a line (small to load, readable in a diff)."""
    lines = [json.dumps(e, separators=(",", ":"), sort_keys=True) for e in entries]
    return '{"kinds":[\n' + ",\n".join(lines) + "\n]}\n"


def write_catalog(data_dir: Path, kinds: list[KindSchemas], sources: dict[str, Any]) -> None:
    """Replace the whole data folder: write a sibling folder, then swap it in by renames.

    A kind whose JSON did not change keeps its old file, byte for byte (gzip output may differ
    between zlib versions; the JSON, whose sha256 SOURCES.yaml records, does not). On any error
    before the swap the old folder is untouched and the new one is removed.
    """
    import gzip

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=data_dir.parent, prefix=f".{data_dir.name}.new-"))
    try:
        staging.chmod(0o755)
        index = []
        for kind in sorted(kinds, key=lambda k: (k.group, k.kind)):
            rel = kind_file(kind)
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            data, old = kind_bytes(kind), data_dir / rel
            if old.is_file() and read_data(old) == data:
                shutil.copyfile(old, target)
            else:
                target.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
            versions = {v.name: {"served": v.served, "storage": v.storage} for v in kind.versions}
            record = (sources.get("kinds") or {}).get(f"{kind.group}/{kind.kind}") or {}
            index.append(
                {
                    "group": kind.group,
                    "kind": kind.kind,
                    "scope": kind.scope,
                    "file": rel,
                    "versions": versions,
                    "from": _origins(record),
                }
            )
        (staging / INDEX).write_text(index_text(index))
        header = (
            "# Where each CRD schema of the catalog came from. Written by\n"
            "# `python -m gitops.validation.crds.refresh`; edit `upstreams` by hand if needed\n"
            "# (a new upstream: its repository, paths and release label; then refresh it).\n"
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
