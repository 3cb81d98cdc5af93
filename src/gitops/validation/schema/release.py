"""Schemas per Kubernetes release, compiled once: kubernetes-validate's strict ones, and CRDs'.

kubernetes-validate ships, per minor release, a folder `kubernetes-json-schema/v1.N.0-local-strict/`
with one standalone Draft 2020-12 schema per type (`deployment-apps-v1.json`, `service-v1.json`)
whose `$ref`s point into that folder's `_definitions.json` (`$id`
https://kubernetes.io/api/_definitions.json). Its CLI re-reads those 1.4 MB of definitions for
every object; here each release's definitions are read once, put in one `jsonschema_rs.Registry`,
and each (apiVersion, kind) gets one compiled validator, reused for every object of that kind.

Which types a release serves is read from the definitions' `x-kubernetes-group-version-kind`, not
guessed from file names (kubernetes-validate maps `apps.example.com/v1 Deployment` to
`deployment-apps-v1.json`; this does not). Custom resources are checked against their CRD's schema
(`gitops.validation.crds`), with `metadata` checked against the release's ObjectMeta like the API
server does. A schema jsonschema-rs cannot compile (a regular expression it does not support)
falls back to python-jsonschema.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
from collections.abc import Iterable
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import jsonschema_rs

from gitops.errors import ConfigError
from gitops.validation.schema.apiversions import minor
from gitops.validation.schema.messages import Problem, required_from_message


def _schemas_dir() -> Path:
    """kubernetes-validate's schema folder, found without importing it (its import is slow)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or spec.origin is None:
        raise ConfigError("kubernetes-validate is not installed: pip install kubernetes-validate")
    return Path(spec.origin).parent / "kubernetes-json-schema"


SCHEMAS_DIR = _schemas_dir()
DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_FOLDER = re.compile(r"^v1\.(\d+)\.0-local-strict$")


@cache
def bundled_releases() -> tuple[str, ...]:
    """The minor releases kubernetes-validate has strict schemas for, oldest first."""
    found = [int(m.group(1)) for p in SCHEMAS_DIR.iterdir() if (m := _FOLDER.match(p.name))]
    return tuple(f"1.{n}" for n in sorted(found))


def release_for(kubernetes_version: str) -> Release:
    """The schemas of `kubernetes_version` ("1.33"); a ConfigError when none are bundled."""
    releases = bundled_releases()
    wanted = f"1.{minor(kubernetes_version)}"
    if wanted not in releases:
        span = f"{releases[0]} to {releases[-1]}" if releases else "no release"
        version = importlib.metadata.version("kubernetes-validate")
        raise ConfigError(
            f"no schemas for Kubernetes {kubernetes_version}: kubernetes-validate {version} "
            f"bundles {span}; use one of those, or upgrade it (pip install -U kubernetes-validate)"
        )
    return _release(wanted)


@cache
def _release(version: str) -> Release:
    return Release(version)


class Checker:
    """A compiled schema: `problems(obj)` lists every error of one object."""

    def __init__(self, schema: dict[str, Any], release: Release) -> None:
        self.schema = schema
        self.release = release
        try:
            self._rs: Any = jsonschema_rs.Draft202012Validator(schema, registry=release.registry)
            self._py: Any = None
        except Exception:
            import jsonschema

            self._rs = None
            self._py = jsonschema.Draft202012Validator(schema, registry=release.py_registry)

    def problems(self, obj: dict[str, Any]) -> list[Problem]:
        if self._rs is not None:
            return [self._from_rs(error) for error in self._rs.iter_errors(obj)]
        return [_from_py(error) for error in self._py.iter_errors(obj)]

    def _from_rs(self, error: Any) -> Problem:
        details = error.kind.as_dict()
        if not isinstance(details, dict):
            details = {}
        node = self._schema_node(error)
        location = error.absolute_keyword_location or ""
        if "#/$defs/" in location:
            details["definition"] = location.split("#/$defs/", 1)[1].split("/", 1)[0]
        if error.kind.name == "additionalProperties" and isinstance(node, dict):
            details["belongs"] = {
                name: self._children_with(node, name) for name in details.get("unexpected", ())
            }
        return Problem(
            path=tuple(error.instance_path),
            keyword=error.kind.name,
            message=error.message,
            instance=error.instance,
            schema=node if isinstance(node, dict) else {},
            details=details,
        )

    def _schema_node(self, error: Any) -> Any:
        """The schema object that holds the failing keyword (for its `properties` or `enum`)."""
        location = error.absolute_keyword_location
        if location and "#" in location:
            base, pointer = location.split("#", 1)
            document = self.release.defs if base == DEFINITIONS_URI else self.schema
            return _walk(document, [_unescape(p) for p in pointer.split("/")[1:-1]])
        return _walk(self.schema, list(error.schema_path)[:-1])

    def _children_with(self, node: dict[str, Any], name: str) -> list[str]:
        """The fields of `node` whose own schema has a field `name` (for "it belongs under")."""
        found = []
        for child, raw in (node.get("properties") or {}).items():
            sub = self._resolve(raw)
            if isinstance(sub, dict) and sub.get("type") in ("array", ["array", "null"]):
                sub = self._resolve(sub.get("items"))
            if isinstance(sub, dict) and name in (sub.get("properties") or {}):
                found.append(child)
        return found

    def _resolve(self, sub: Any) -> Any:
        ref = sub.get("$ref") if isinstance(sub, dict) else None
        if isinstance(ref, str) and "#/$defs/" in ref:
            return self.release.defs.get("$defs", {}).get(ref.split("#/$defs/", 1)[1])
        return sub


def _walk(node: Any, parts: Iterable[Any]) -> Any:
    for part in parts:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int | str) and str(part).isdigit():
            index = int(part)
            node = node[index] if index < len(node) else None
        else:
            return None
    return node


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _from_py(error: Any) -> Problem:
    """A python-jsonschema `ValidationError` as a Problem."""
    keyword = str(error.validator)
    schema = error.schema if isinstance(error.schema, dict) else {}
    details: dict[str, Any] = {}
    if keyword == "required":
        details["property"] = required_from_message(error.message)
    elif keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = set(schema.get("properties") or {})
        details["unexpected"] = sorted(k for k in error.instance if k not in known)
    return Problem(
        path=tuple(error.absolute_path),
        keyword=keyword,
        message=error.message,
        instance=error.instance,
        schema=schema,
        details=details,
    )


class Release:
    """One Kubernetes minor release's built-in schemas, read and compiled on first use."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.folder = SCHEMAS_DIR / f"v{version}.0-local-strict"
        self._checkers: dict[tuple[str, str], Checker | None] = {}
        self._custom: dict[int, tuple[dict[str, Any], Checker]] = {}

    @cached_property
    def defs(self) -> dict[str, Any]:
        defs: dict[str, Any] = json.loads(
            (self.folder / "_definitions.json").read_text(encoding="utf-8")
        )
        return defs

    @cached_property
    def registry(self) -> Any:
        return jsonschema_rs.Registry([(DEFINITIONS_URI, self.defs)])

    @cached_property
    def py_registry(self) -> Any:
        from referencing import Registry, Resource

        return Registry().with_resource(DEFINITIONS_URI, Resource.from_contents(self.defs))

    @cached_property
    def served(self) -> dict[tuple[str, str], str]:
        """(apiVersion, kind) → definition name, for every top-level type of this release."""
        index: dict[tuple[str, str], str] = {}
        for name, definition in self.defs.get("$defs", {}).items():
            for gvk in definition.get("x-kubernetes-group-version-kind") or ():
                group, version, kind = gvk.get("group", ""), gvk.get("version"), gvk.get("kind")
                if kind in ("DeleteOptions", "WatchEvent", "Status") and not name.endswith(kind):
                    continue
                api_version = f"{group}/{version}" if group else str(version)
                index.setdefault((api_version, str(kind)), name)
        return index

    @cached_property
    def kinds(self) -> dict[str, list[str]]:
        """kind → the apiVersions that serve it in this release."""
        by_kind: dict[str, list[str]] = {}
        for api_version, kind in sorted(self.served):
            by_kind.setdefault(kind, []).append(api_version)
        return by_kind

    def checker(self, api_version: str, kind: str) -> Checker | None:
        """The validator of a built-in type, or None when this release does not serve it."""
        key = (api_version, kind)
        if key not in self._checkers:
            definition = self.served.get(key)
            self._checkers[key] = (
                None if definition is None else Checker(self._kind_schema(key, definition), self)
            )
        return self._checkers[key]

    def _kind_schema(self, key: tuple[str, str], definition: str) -> dict[str, Any]:
        api_version, kind = key
        group, _, version = api_version.rpartition("/")
        token = f"{group.split('.')[0]}-{version}" if group else version
        path = self.folder / f"{kind.lower()}-{token}.json"
        if path.is_file():
            schema = json.loads(path.read_text(encoding="utf-8"))
            if {"group": group, "kind": kind, "version": version} in schema.get(
                "x-kubernetes-group-version-kind", []
            ):
                return dict(schema)
        return {"$ref": f"{DEFINITIONS_URI}#/$defs/{definition}"}

    def custom_checker(self, schema: dict[str, Any]) -> Checker:
        """The validator of a custom resource schema, its metadata checked as ObjectMeta."""
        cached = self._custom.get(id(schema))
        if cached is not None and cached[0] is schema:
            return cached[1]
        meta = {"$ref": f"{DEFINITIONS_URI}#/$defs/{OBJECT_META}"}
        wrapped = {"allOf": [schema, {"properties": {"metadata": meta}}]}
        checker = Checker(wrapped, self)
        self._custom[id(schema)] = (schema, checker)  # holding `schema` keeps its id unique
        return checker
