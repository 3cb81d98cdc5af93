"""What the bundled CRD catalog holds: `python -m gitops.validation.crds [--kinds] [--json]`.

One line per upstream (release, repository, commit, number of kinds), then the totals; `--kinds`
lists every served apiVersion/kind with the release it comes from. Offline: it reads the catalog's
index.json and SOURCES.yaml, nothing else.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from gitops.validation.crds.store import DEFAULT_DATA_DIR, Catalog


def summary(data_dir: Path = DEFAULT_DATA_DIR) -> dict[str, Any]:
    """Counts and upstream releases of a catalog folder (what the report prints)."""
    catalog = Catalog(data_dir)
    records = catalog.sources.get("kinds") or {}
    per_upstream = Counter(
        str(((records.get(f"{g}/{k}") or {}).get("source") or {}).get("upstream") or "?")
        for g, k in catalog.index
    )
    upstreams = [
        {
            "name": name,
            "release": str(entry.get("release", name)).format(tag=entry.get("tag", "?")),
            "repository": entry.get("repository"),
            "tag": entry.get("tag"),
            "commit": entry.get("commit"),
            "kinds": per_upstream.get(name, 0),
        }
        for name, entry in (catalog.sources.get("upstreams") or {}).items()
    ]
    kinds = [
        {
            "apiVersion": f"{group}/{version}",
            "kind": kind,
            "upstream": ((records.get(f"{group}/{kind}") or {}).get("source") or {}).get(
                "upstream"
            ),
        }
        for (group, kind), entry in sorted(catalog.index.items())
        for version, flags in entry["versions"].items()
        if flags.get("served")
    ]
    return {
        "kinds": len(catalog.index),
        "groups": len({group for group, _ in catalog.index}),
        "servedVersions": len(kinds),
        "upstreams": upstreams,
        "served": kinds,
    }


def report(data: dict[str, Any], *, with_kinds: bool = False) -> str:
    lines = [
        f"CRD catalog: {data['kinds']} kinds ({data['servedVersions']} served apiVersion/kind "
        f"pairs) in {data['groups']} API groups, from {len(data['upstreams'])} upstream "
        "releases; offline and pinned (each release's tag and commit below)",
    ]
    rows = [
        (u["release"], f"{u['repository']}@{str(u['commit'] or '?')[:12]}", u["kinds"])
        for u in data["upstreams"]
    ]
    first = max((len(r[0]) for r in rows), default=0)
    second = max((len(r[1]) for r in rows), default=0)
    lines += [f"  {a:<{first}}  {b:<{second}}  {n:>3} kinds" for a, b, n in rows]
    if with_kinds:
        lines.append("")
        lines += [f"  {k['apiVersion']}/{k['kind']}  ({k['upstream']})" for k in data["served"]]
    lines.append(
        "Custom resources of these kinds are checked against their schema; a CRD among the "
        "validated manifests takes precedence. Refresh: python -m gitops.validation.crds.refresh"
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gitops.validation.crds", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--kinds", action="store_true", help="list every served apiVersion/kind")
    parser.add_argument("--json", action="store_true", help="the same as JSON")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    data = summary(args.data_dir)
    if args.json:
        if not args.kinds:
            del data["served"]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(report(data, with_kinds=args.kinds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
