"""Rebuild the CRD catalog from upstream releases (or CRD files) and say what changed.

The catalog (vendored/ beside this module) holds the schemas of the custom resources of popular
projects, each pinned to one release: SOURCES.yaml lists the upstreams (repository, the files that
hold the CRDs, the release label) with the tag and commit the catalog holds, and for every kind
the file, commit and sha256 it was read from. To move an upstream to another release:

  # from a local clone (offline; the commit is taken from the clone):
  python -m gitops.validation.crds.refresh --release kyverno=v1.19.1 --git kyverno=~/src/kyverno
  # from GitHub (api.github.com resolves the tag and lists the files; raw files are read):
  python -m gitops.validation.crds.refresh --release kyverno=v1.19.1
  # every upstream again at its pinned tag, from a folder of clones (OWNER+NAME/repo, OWNER/NAME
  # or NAME, bare or not): rebuilds the whole catalog, byte for byte
  python -m gitops.validation.crds.refresh --all --clones /path/to/clones --prune

A kind the new release no longer defines leaves the catalog; the other upstreams are untouched.
`fill` files of an upstream (Gateway API's experimental channel) only add the kinds and the
served versions its `paths` lack: the standard channel's schema stays the one of a version both
channels serve.

A fork whose clusters run something else reads the CRDs they serve (or its Flux CLI's):

  kubectl get crd applications.argoproj.io widgets.example.com -o yaml > crds.yaml
  flux install --export > flux.yaml
  python -m gitops.validation.crds.refresh --from crds.yaml flux.yaml \\
      --repository example/widgets --commit 0123... --release-label "widgets v2.1"

`--from` reads files, folders of .yaml files and http(s) URLs; only CustomResourceDefinitions
(apiextensions.k8s.io/v1, also inside a `kind: List`) are read, other objects are skipped.
Descriptions and examples are dropped; every other schema keyword and every CEL rule is kept.
Kinds found replace their catalog entry; other kinds are kept (`--prune` drops them). Nothing is
written unless every input was read and every CRD reduced: the data folder is replaced in one
swap. Exit 0 on success, 2 on a bad input or option.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import urllib.request
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from gitops.errors import ConfigError, GitopsError, UsageError
from gitops.validation.crds import provenance, releases
from gitops.validation.crds.extract import KindSchemas, VersionSchema, is_crd, kind_schemas
from gitops.validation.crds.store import DEFAULT_DATA_DIR, Catalog, kind_bytes, write_catalog

URL_TIMEOUT_SECONDS = 30
YAML_SUFFIXES = (".yaml", ".yml")
Key = tuple[str, str]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader that reads a plain `=` as the string it is (YAML 1.1's `value` tag, which
    PyYAML cannot construct, appears in prometheus-operator's CRDs: `enum: [=, "!=", ...]`)."""


_Loader.add_constructor(
    "tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node)
)


class Input(NamedTuple):
    """One file to read: where it is shown and recorded, its provenance, and how to read it."""

    location: str
    given: dict[str, Any]
    fill: bool = False  # only kinds and served versions the other inputs lack
    read: Callable[[], bytes] | None = None  # None: a path or URL (read_location)
    optional: bool = False  # matched by a pattern: a file without CRDs is skipped


class Pin(NamedTuple):
    """The release an upstream is refreshed to (recorded under upstreams.<name>)."""

    name: str
    tag: str
    commit: str


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


def crds_in(location: str, raw: bytes, *, optional: bool = False) -> list[dict[str, Any]]:
    try:
        docs = list(yaml.load_all(raw, Loader=_Loader))
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
    if not crds and not optional:
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


def _upstream(sources: dict[str, Any], name: str) -> dict[str, Any]:
    upstream = (sources.get("upstreams") or {}).get(name)
    if not isinstance(upstream, dict):
        known = ", ".join(sorted(sources.get("upstreams") or {})) or "none"
        raise UsageError(f"no upstream {name!r} in SOURCES.yaml (known: {known})")
    return upstream


def release_inputs(
    sources: dict[str, Any], spec: str, tree_for: Callable[[str, str], releases.Tree]
) -> tuple[list[Input], Pin]:
    """The files of upstream release `spec` (NAME=TAG, or NAME for its pinned tag).

    `tree_for(repository, ref)` gives the reader (a local clone or GitHub).
    """
    name, _, tag = spec.partition("=")
    upstream = _upstream(sources, name)
    tag = tag or str(upstream.get("tag") or "")
    if not tag:
        raise UsageError(f"--release {name}: no tag given and none pinned; use {name}=TAG")
    repository = str(upstream["repository"])
    tree = tree_for(repository, str(upstream.get("ref") or "{tag}").format(tag=tag))
    label = str(upstream.get("release") or f"{name} {{tag}}").format(tag=tag)
    inputs: list[Input] = []
    for role, fill in (("paths", False), ("fill", True)):
        for listed in upstream.get(role) or []:
            pattern = str(listed).format(tag=tag)
            found = releases.select(tree, pattern)
            if not found:
                raise ConfigError(f"upstream {name}: no file at {tag} matches {pattern}")
            for path in found:
                given = {
                    "upstream": name,
                    "repository": repository,
                    "path": path,
                    "commit": tree.commit,
                    "release": label,
                }
                inputs.append(
                    Input(
                        releases.permalink(repository, tree.commit, path),
                        given,
                        fill=fill,
                        read=partial(tree.read, path),
                        optional=releases.is_pattern(pattern),
                    )
                )
    if not inputs:
        raise ConfigError(f"upstream {name} lists no paths")
    return inputs, Pin(name, tag, tree.commit)


def _merge(base: KindSchemas, added: list[VersionSchema]) -> KindSchemas:
    """`base` with the versions of `added` (served, never the storage version) put in."""
    extra = {v.name: VersionSchema(v.name, True, False, v.schema, v.cel_rules) for v in added}
    versions = [extra.pop(v.name, v) for v in base.versions] + list(extra.values())
    return KindSchemas(base.group, base.kind, base.plural, base.scope, tuple(versions))


class _Reader:
    """Reads every input, then merges the `fill` ones, keeping each kind's provenance."""

    def __init__(self, records: dict[str, Any]) -> None:
        self.records = records
        self.found: dict[Key, KindSchemas] = {}
        self.source: dict[Key, dict[str, Any]] = {}
        self.also: dict[Key, list[dict[str, Any]]] = {}
        self._fills: list[tuple[KindSchemas, dict[str, Any]]] = []

    def read(self, item: Input) -> None:
        raw = item.read() if item.read else read_location(item.location)
        for crd in crds_in(item.location, raw, optional=item.optional):
            reduced = kind_schemas(crd, where=item.location)
            key = (reduced.group, reduced.kind)
            before = self.records.get(f"{key[0]}/{key[1]}") or {}
            previous = before.get("source")
            if item.fill:
                also = {a.get("path"): a for a in before.get("also") or []}
                previous = also.get(item.given.get("path"), previous)
            source = provenance.record(crd, item.location, raw, item.given, previous)
            if item.fill:
                self._fills.append((reduced, source))
            else:
                self.found[key], self.source[key] = reduced, source

    def merge_fills(self) -> None:
        for reduced, source in self._fills:
            key = (reduced.group, reduced.kind)
            base = self.found.get(key)
            if base is None:
                self.found[key], self.source[key] = reduced, source
                continue
            served = {v.name for v in base.versions if v.served}
            added = [v for v in reduced.versions if v.served and v.name not in served]
            if added:
                self.found[key] = _merge(base, added)
                self.also.setdefault(key, []).append(
                    {**source, "versions": [v.name for v in added]}
                )


def refresh(
    inputs: list[Input] | list[tuple[str, dict[str, Any]]],
    data_dir: Path = DEFAULT_DATA_DIR,
    *,
    prune: bool = False,
    pins: Sequence[Pin] = (),
) -> list[str]:
    """Read every input, then rewrite the data folder; returns one line per kind read.

    `pins` are the upstream releases read: their tag and commit are recorded, and a kind of such
    an upstream that the release no longer defines is removed.
    """
    catalog = Catalog(data_dir)
    sources = dict(catalog.sources)
    records: dict[str, Any] = dict(sources.get("kinds") or {})
    reader = _Reader(records)
    for item in inputs:
        reader.read(item if isinstance(item, Input) else Input(*item))
    reader.merge_fills()
    for key, reduced in reader.found.items():
        source = reader.source[key]
        source["schemaSha256"] = hashlib.sha256(kind_bytes(reduced)).hexdigest()
        record: dict[str, Any] = {
            "scope": reduced.scope,
            "versions": {
                v.name: {"served": v.served, "storage": v.storage} for v in reduced.versions
            },
            "source": source,
        }
        if key in reader.also:
            record["also"] = reader.also[key]
        records[f"{key[0]}/{key[1]}"] = record
    old = {(k.group, k.kind): k for k in catalog.all_kinds()}
    lines = [describe_change(old.get(key), kind) for key, kind in sorted(reader.found.items())]
    refreshed = {pin.name for pin in pins}
    kept = {
        key: kind
        for key, kind in old.items()
        if not prune
        and ((records.get(f"{key[0]}/{key[1]}") or {}).get("source") or {}).get("upstream")
        not in refreshed
    }
    merged = {**kept, **reader.found}
    lines += [f"removed   {g}/{k}" for g, k in sorted(old) if (g, k) not in merged]
    names = {f"{group}/{kind}" for group, kind in merged}
    sources["kinds"] = {name: records[name] for name in sorted(records) if name in names}
    upstreams = sources.get("upstreams") or {}
    for pin in pins:
        upstreams[pin.name] = {**upstreams[pin.name], "tag": pin.tag, "commit": pin.commit}
    write_catalog(data_dir, list(merged.values()), sources)
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gitops.validation.crds.refresh",
        description=(__doc__ or "").split("\n\n")[0],
        epilog=(__doc__ or "").split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--release",
        action="append",
        default=[],
        metavar="NAME[=TAG]",
        help="read upstream NAME (upstreams in SOURCES.yaml) at TAG, or at its pinned tag",
    )
    parser.add_argument("--all", action="store_true", help="read every upstream at its pinned tag")
    parser.add_argument(
        "--git",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="read upstream NAME from the clone DIR instead of GitHub",
    )
    parser.add_argument(
        "--clones",
        type=Path,
        metavar="DIR",
        help="a folder of clones to read upstreams from (OWNER+NAME/repo, OWNER/NAME or NAME)",
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
    parser.add_argument("--prune", action="store_true", help="drop the kinds that no input defines")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help=argparse.SUPPRESS)
    return parser


def _tree_for(
    git: dict[str, Path], clones: Path | None, sources: dict[str, Any]
) -> Callable[[str, str], releases.Tree]:
    by_repository = {
        str(_upstream(sources, name)["repository"]): path for name, path in git.items()
    }

    def tree_for(repository: str, ref: str) -> releases.Tree:
        local = by_repository.get(repository)
        if local is None and clones is not None:
            local = releases.find_clone(clones, repository)
            if local is None:
                raise ConfigError(f"no clone of {repository} in this folder", path=str(clones))
        if local is not None:
            git_dir = local / ".git" if (local / ".git").is_dir() else local
            return releases.GitTree(git_dir, repository, ref)
        return releases.GitHubTree(repository, ref)

    return tree_for


def _given(args: argparse.Namespace) -> dict[str, Any]:
    if args.retrieved:
        try:
            dt.date.fromisoformat(args.retrieved)
        except ValueError as exc:
            raise UsageError(
                f"--retrieved takes a date YYYY-MM-DD (got {args.retrieved!r})"
            ) from exc
    return {
        "repository": args.repository,
        "path": args.repo_path,
        "commit": args.commit,
        "release": args.release_label,
        "retrieved": args.retrieved,
        "note": args.note,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if not args.sources and not args.release and not args.all:
            raise UsageError(
                "nothing to read: give --release NAME[=TAG]..., --all or --from PATH_OR_URL..."
            )
        given = _given(args)
        inputs = [Input(location, given) for location in expand_locations(args.sources)]
        sources = Catalog(args.data_dir).sources
        git: dict[str, Path] = {}
        for item in args.git:
            name, _, folder = item.partition("=")
            if not folder:
                raise UsageError(f"--git takes NAME=DIR (got {item!r})")
            git[name] = Path(folder).expanduser()
        specs = list(args.release)
        if args.all:
            specs += [name for name in sources.get("upstreams") or {} if name not in specs]
        tree_for = _tree_for(git, args.clones, sources)
        pins = []
        for spec in specs:
            found, pin = release_inputs(sources, spec, tree_for)
            inputs += found
            pins.append(pin)
        for line in refresh(inputs, args.data_dir, prune=args.prune, pins=pins):
            print(line)
    except GitopsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
