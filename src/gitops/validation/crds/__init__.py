"""Schemas of custom resources (Argo CD, Flux, and any CRD found in the validated set).

The validator engine calls:
- `crd_schema(api_version, kind)`: the vendored schema of a kind, as a JSON Schema (or None when
  the kind, or that version of it, isn't vendored or isn't served);
- `schema_from_crd(crd, version)`: the same from a CustomResourceDefinition object rendered in the
  repository (takes precedence over the vendored one: it is what that cluster will serve);
- `is_namespaced(api_version, kind)` and `known_kinds()`.

Both schema functions cache their result; the dicts returned are shared: never mutate them. Build
a `jsonschema` validator once per returned schema (it is hashable by `id`). The schemas use only
keywords that drafts 4 to 2020-12 read the same way. How the OpenAPI v3 schemas are converted, and
why unknown fields are errors here while the API server prunes them: see `convert`.

CEL rules (`x-kubernetes-validations`) are kept beside each version's schema (path, rule, message,
and messageExpression, fieldPath, reason when given) and evaluated by `gitops.validation.cel`:
`version_schema(api_version, kind)` and `version_schema_from_crd(crd, version)` give it a served
version's schema and rules. `cel_rules(api_version, kind)` lists a vendored kind's rules.

The vendored data (schemas without descriptions, per group/kind/version) and its provenance
(vendored/SOURCES.yaml: repository, path, commit, release, date, checksums) are in `vendored/`,
shipped as package data. `python -m gitops.validation.crds.refresh` rewrites them from CRD YAML
files: the reduced upstream copies in `upstream/` (kept in the repository, not shipped), or a
fork's own `kubectl get crd -o yaml` / `flux install --export` output (see its --help).
Vendored: Argo CD Application and AppProject (argoproj.io/v1alpha1); Flux GitRepository,
OCIRepository, HelmRepository, HelmChart, Bucket, ExternalArtifact (source.toolkit.fluxcd.io/v1),
Kustomization (kustomize.toolkit.fluxcd.io/v1) and HelmRelease (helm.toolkit.fluxcd.io/v2).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from gitops.validation.crds.convert import object_schema
from gitops.validation.crds.extract import VersionSchema, is_crd, strip_annotations
from gitops.validation.crds.store import Catalog

__all__ = [
    "cel_rules",
    "crd_kinds",
    "crd_schema",
    "is_namespaced",
    "known_kinds",
    "schema_from_crd",
    "version_schema",
    "version_schema_from_crd",
]

_catalog = Catalog()


def split_api_version(api_version: str) -> tuple[str, str]:
    """`argoproj.io/v1alpha1` → (`argoproj.io`, `v1alpha1`); `v1` → (``, `v1`)."""
    group, _, version = api_version.rpartition("/")
    return group, version


@cache
def crd_schema(api_version: str, kind: str) -> dict[str, Any] | None:
    """JSON Schema of a vendored custom resource kind at this apiVersion, or None."""
    group, version = split_api_version(api_version)
    found = _catalog.kind(group, kind)
    if found is None:
        return None
    for entry in found.versions:
        if entry.name == version and entry.served:
            return object_schema(entry.schema)
    return None


def version_schema(api_version: str, kind: str) -> VersionSchema | None:
    """The vendored schema and CEL rules of a served version of a kind, or None."""
    group, version = split_api_version(api_version)
    found = _catalog.kind(group, kind)
    for entry in found.versions if found else ():
        if entry.name == version and entry.served:
            return entry
    return None


def is_namespaced(api_version: str, kind: str) -> bool | None:
    """Whether a vendored kind lives in a namespace; None when the kind isn't vendored."""
    entry = _catalog.index.get((split_api_version(api_version)[0], kind))
    return None if entry is None else entry["scope"] == "Namespaced"


def known_kinds() -> list[tuple[str, str]]:
    """Every (apiVersion, kind) with a vendored schema that its controller serves, sorted."""
    pairs = []
    for (group, kind), entry in _catalog.index.items():
        for version, flags in entry["versions"].items():
            if flags["served"]:
                pairs.append((f"{group}/{version}", kind))
    return sorted(pairs)


def cel_rules(api_version: str, kind: str) -> list[dict[str, str]]:
    """The CEL rules (`x-kubernetes-validations`) of a vendored kind's version: not evaluated."""
    group, version = split_api_version(api_version)
    found = _catalog.kind(group, kind)
    for entry in found.versions if found else ():
        if entry.name == version:
            return [dict(rule) for rule in entry.cel_rules]
    return []


def crd_kinds(crd: dict[str, Any]) -> list[tuple[str, str]]:
    """The (apiVersion, kind) pairs a CustomResourceDefinition object serves; [] if not a CRD."""
    if not is_crd(crd):
        return []
    spec = crd.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    names = spec.get("names")
    group, kind = spec.get("group"), names.get("kind") if isinstance(names, dict) else None
    versions = spec.get("versions")
    return [
        (f"{group}/{v.get('name')}", str(kind))
        for v in (versions if isinstance(versions, list) else ())
        if isinstance(v, dict) and v.get("served")
    ]


_from_crd_cache: dict[str, tuple[VersionSchema, dict[str, Any]]] = {}


def schema_from_crd(crd: dict[str, Any], version: str) -> dict[str, Any] | None:
    """JSON Schema of one served version of a CRD object found in the validated set, or None.

    None when `crd` is not an apiextensions.k8s.io/v1 CustomResourceDefinition, the version does
    not exist or isn't served, or it has no openAPIV3Schema. Cached by the schema's content.
    """
    found = _from_crd(crd, version)
    return None if found is None else found[1]


def version_schema_from_crd(crd: dict[str, Any], version: str) -> VersionSchema | None:
    """The reduced schema and CEL rules of a served version of a CRD object, or None (as above)."""
    found = _from_crd(crd, version)
    return None if found is None else found[0]


def _from_crd(crd: dict[str, Any], version: str) -> tuple[VersionSchema, dict[str, Any]] | None:
    if not is_crd(crd):
        return None
    for entry in (crd.get("spec") or {}).get("versions") or []:
        if not isinstance(entry, dict) or entry.get("name") != version or not entry.get("served"):
            continue
        openapi = (entry.get("schema") or {}).get("openAPIV3Schema")
        if not isinstance(openapi, dict):
            return None
        key = hashlib.sha256(json.dumps(openapi, sort_keys=True, default=str).encode()).hexdigest()
        if key not in _from_crd_cache:
            rules: list[dict[str, str]] = []
            stripped = strip_annotations(openapi, rules, ".")
            storage = bool(entry.get("storage"))
            reduced = VersionSchema(version, True, storage, stripped, tuple(rules))
            _from_crd_cache[key] = (reduced, object_schema(stripped))
        return _from_crd_cache[key]
    return None
