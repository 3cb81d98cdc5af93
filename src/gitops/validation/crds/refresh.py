"""Rewrite the vendored CRD schemas from CRD YAML files (or URLs) and say what changed.

The validator checks Argo CD and Flux objects against the schemas vendored next to this module,
one set per controller release. A fork whose clusters run other controller versions refreshes
them from the CRDs those versions publish, for example:

  # from a cluster (what it serves now):
  kubectl get crd applications.argoproj.io appprojects.argoproj.io -o yaml > argo-crds.yaml
  kubectl get crd gitrepositories.source.toolkit.fluxcd.io \\
      kustomizations.kustomize.toolkit.fluxcd.io -o yaml > flux-crds.yaml
  # or from the Flux CLI of the version you install (only the CRDs in it are read):
  flux install --export > flux-install.yaml
  python -m gitops.validation.crds.refresh --from argo-crds.yaml flux-crds.yaml \\
      --release-label "argo-cd v3.x / flux v2.x" --retrieved 2026-11-25

  # with network access, straight from a release (NAME is listed under `upstreams`
  # in vendored/SOURCES.yaml):
  python -m gitops.validation.crds.refresh --release flux2=v2.9.6 --release argo-cd=vX.Y.Z

  # this repository's own reduced copies (provenance in their annotations; byte-stable):
  python -m gitops.validation.crds.refresh --from src/gitops/validation/crds/upstream

Only CustomResourceDefinitions (apiextensions.k8s.io/v1, also inside a `kind: List`) are read;
other objects in the files are skipped. Descriptions are dropped. Kinds found replace their
vendored entry; other vendored kinds are kept (`--prune` drops them). Nothing is written unless
every input was read and every CRD reduced: the data folder is replaced in one swap. Provenance
(repository, path, commit, release, retrieval date, sha256 of the input and of the stored schema)
goes to vendored/SOURCES.yaml. Exit 0 on success, 2 on a bad input or option.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from gitops.errors import ConfigError, GitopsError, UsageError
from gitops.validation.crds import provenance
from gitops.validation.crds.extract import KindSchemas, is_crd, kind_schemas
from gitops.validation.crds.store import DEFAULT_DATA_DIR, Catalog, kind_bytes, write_catalog

URL_TIMEOUT_SECONDS = 30
YAML_SUFFIXES = (".yaml", ".yml")


def read_location(location: str) -> bytes:
    if location.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(location, timeout=URL_TIMEOUT_SECONDS) as response:  # noqa: S310
                return bytes(response.read())
        except OSError as exc:
            raise ConfigError(f"cannot fetch {location}: {exc}") from exc
    path = Path(location)
    if not path.is_file():
        raise ConfigError("no such file", path=location)
    return path.read_bytes()


def expand_locations(locations: list[str]) -> list[str]:
    """Folders stand for the YAML files below them, in a stable (sorted) order."""
    out: list[str] = []
    for location in locations:
        path = Path(location)
        if not location.startswith(("http://", "https://")) and path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES)
            if not found:
                raise ConfigError("no .yaml file in this folder", path=location)
            out += [str(p) for p in found]
        else:
            out.append(location)
    return out


def crds_in(location: str, raw: bytes) -> list[dict[str, Any]]:
    try:
        docs = list(yaml.safe_load_all(raw))
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise ConfigError(
            f"not valid YAML: {exc}", path=location, line=None if line is None else line + 1
        ) from exc
    flat: list[Any] = []
    for doc in docs:
        is_list = isinstance(doc, dict) and doc.get("kind") == "List"
        flat += (doc.get("items") or []) if is_list else [doc]
    crds = [doc for doc in flat if is_crd(doc)]
    if not crds:
        raise ConfigError(
            "no apiextensions.k8s.io/v1 CustomResourceDefinition in this file", path=location
        )
    return crds


def _field_paths(node: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            paths.add(prefix + name)
            paths |= _field_paths(sub, prefix + name + ".")
        if isinstance(node.get("items"), dict):
            paths |= _field_paths(node["items"], prefix.rstrip(".") + "[]." if prefix else "[].")
    return paths


def describe_change(old: KindSchemas | None, new: KindSchemas) -> str:
    name = f"{new.group}/{new.kind}"
    versions = ", ".join(
        v.name + ("*" if v.storage else "") + ("" if v.served else " (not served)")
        for v in new.versions
    )
    if old is None:
        return f"added     {name} [{versions}]"
    if old.to_json() == new.to_json():
        return f"unchanged {name} [{versions}]"
    details = []
    old_versions = {v.name: v for v in old.versions}
    for version in new.versions:
        before = old_versions.pop(version.name, None)
        if before is None:
            details.append(f"{version.name} added")
            continue
        added = _field_paths(version.schema) - _field_paths(before.schema)
        removed = _field_paths(before.schema) - _field_paths(version.schema)
        if added or removed:
            sample = ", ".join(sorted(added)[:3])
            details.append(
                f"{version.name}: +{len(added)} -{len(removed)} fields"
                + (f" (+{sample})" if sample else "")
            )
        elif version != before:
            details.append(f"{version.name}: constraints changed")
    details += [f"{gone} removed" for gone in old_versions]
    return f"changed   {name} [{versions}]: " + "; ".join(details)


def release_locations(sources: dict[str, Any], spec: str) -> list[tuple[str, dict[str, Any]]]:
    name, _, tag = spec.partition("=")
    upstream = (sources.get("upstreams") or {}).get(name)
    if not tag or upstream is None:
        known = ", ".join(sorted(sources.get("upstreams") or {})) or "none"
        raise UsageError(f"--release takes NAME=TAG with NAME one of: {known} (got {spec!r})")
    return [
        (
            upstream["url"].format(tag=tag, path=path),
            {"repository": upstream["repository"], "path": path, "release": tag},
        )
        for path in upstream["paths"]
    ]


def refresh(
    inputs: list[tuple[str, dict[str, Any]]],
    data_dir: Path = DEFAULT_DATA_DIR,
    *,
    prune: bool = False,
) -> list[str]:
    """Read every input, then rewrite the data folder; returns one line per kind read."""
    catalog = Catalog(data_dir)
    sources = dict(catalog.sources)
    records: dict[str, Any] = dict(sources.get("kinds") or {})
    found: dict[tuple[str, str], KindSchemas] = {}
    for location, given in inputs:
        raw = read_location(location)
        for crd in crds_in(location, raw):
            reduced = kind_schemas(crd, where=location)
            key = f"{reduced.group}/{reduced.kind}"
            previous = (records.get(key) or {}).get("source")
            source = provenance.record(crd, location, raw, given, previous)
            source["schemaSha256"] = hashlib.sha256(kind_bytes(reduced)).hexdigest()
            found[(reduced.group, reduced.kind)] = reduced
            records[key] = {
                "scope": reduced.scope,
                "versions": {
                    v.name: {"served": v.served, "storage": v.storage} for v in reduced.versions
                },
                "source": source,
            }
    old = {(k.group, k.kind): k for k in catalog.all_kinds()}
    lines = [describe_change(old.get(key), kind) for key, kind in sorted(found.items())]
    kept = {} if prune else old
    merged = {**kept, **found}
    lines += [f"removed   {g}/{k}" for g, k in sorted(old) if (g, k) not in merged]
    names = {f"{group}/{kind}" for group, kind in merged}
    sources["kinds"] = {name: records[name] for name in sorted(records) if name in names}
    write_catalog(data_dir, list(merged.values()), sources)
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gitops.validation.crds.refresh",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--from",
        dest="sources",
        nargs="+",
        default=[],
        metavar="PATH_OR_URL",
        help="CRD YAML files (kubectl get crd -o yaml, flux install --export, ...), "
        "folders of them, or http(s) URLs",
    )
    parser.add_argument(
        "--release",
        action="append",
        default=[],
        metavar="NAME=TAG",
        help="read the CRDs listed under upstreams.NAME in SOURCES.yaml at TAG (needs network)",
    )
    provenance_args = parser.add_argument_group(
        "provenance recorded for --from inputs (overrides vendored.gitops/* annotations)"
    )
    provenance_args.add_argument("--repository", help="owner/name the files come from")
    provenance_args.add_argument("--path", dest="repo_path", help="the file's path in it")
    provenance_args.add_argument("--commit", help="the commit the files were read at")
    provenance_args.add_argument(
        "--release-label", help="the controller release the files belong to"
    )
    provenance_args.add_argument("--retrieved", metavar="YYYY-MM-DD", help="retrieval date")
    provenance_args.add_argument("--note", help="free text (what was reduced, how it was read)")
    parser.add_argument(
        "--prune", action="store_true", help="drop vendored kinds that no input defines"
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if not args.sources and not args.release:
            raise UsageError("nothing to read: give --from PATH_OR_URL... or --release NAME=TAG")
        if args.retrieved:
            try:
                dt.date.fromisoformat(args.retrieved)
            except ValueError as exc:
                raise UsageError(
                    f"--retrieved takes a date YYYY-MM-DD (got {args.retrieved!r})"
                ) from exc
        given = {
            "repository": args.repository,
            "path": args.repo_path,
            "commit": args.commit,
            "release": args.release_label,
            "retrieved": args.retrieved,
            "note": args.note,
        }
        inputs = [(location, given) for location in expand_locations(args.sources)]
        sources = Catalog(args.data_dir).sources
        for spec in args.release:
            inputs += release_locations(sources, spec)
        for line in refresh(inputs, args.data_dir, prune=args.prune):
            print(line)
    except GitopsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
