"""An object as CEL sees it in a CRD validation rule: typed, defaulted and pruned by its schema.

What the API server hands a rule as `self` is not the YAML as written
(k8s.io/apiserver/pkg/cel/common/values.go `UnstructuredToVal`, and the structural defaulting of
k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting/algorithm.go, which runs first):
- an object with `properties` shows only its declared fields (unknown ones are pruned), under
  their escaped names (`escaping`); an absent field with a `default` has that default, a null one
  that is not `nullable` is absent (or defaulted);
- a map (`additionalProperties`) keeps its keys as they are; an object that only preserves unknown
  fields is an empty object; a value with no type (preserve-unknown-fields) stays as written;
- the root object (and any `x-kubernetes-embedded-resource`) shows `apiVersion`, `kind` and only
  `metadata.name` and `metadata.generateName`;
- `type: number` is always a double (YAML's `1` included), `type: integer` an int; strings of
  `format: byte` are bytes, `date`/`date-time` timestamps, `duration` durations.
A value of the wrong type (a schema error, reported as GB101) is passed as written.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import Any

from gitops.validation.cel.escaping import escape

Schema = dict[str, Any]
_META_SCHEMA: Schema = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "generateName": {"type": "string"}},
}
_TYPE_META: dict[str, Schema] = {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": _META_SCHEMA,
}
_GO_DURATION = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_NANOS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9}
_NANOS |= {"m": 60 * 10**9, "h": 3600 * 10**9}


class Converter:
    """Converts nodes of one object; a node converted once (as part of a parent) is reused."""

    def __init__(self) -> None:
        self._done: dict[int, tuple[Any, Any]] = {}  # id(raw) → (raw, converted): raw kept alive

    def value(self, raw: Any, schema: Schema, *, resource_root: bool = False) -> Any:
        """What `self` is for the node `raw` under `schema`."""
        if raw is None:
            return None
        if resource_root or schema.get("x-kubernetes-embedded-resource"):
            return self._object(raw, _with_type_meta(schema)) if isinstance(raw, dict) else raw
        return self._convert(raw, schema)

    def _convert(self, raw: Any, schema: Schema) -> Any:
        if raw is None or schema.get("x-kubernetes-int-or-string"):
            return raw
        kind = schema.get("type")
        if kind in ("object", "array"):
            done = self._done.get(id(raw))
            if done is not None and done[0] is raw:
                return done[1]
            converted = self._container(raw, schema, kind)
            self._done[id(raw)] = (raw, converted)
            return converted
        if kind == "string":
            return _string(raw, schema.get("format")) if isinstance(raw, str) else raw
        if kind == "number" and isinstance(raw, int) and not isinstance(raw, bool):
            return float(raw)
        return raw

    def _container(self, raw: Any, schema: Schema, kind: str) -> Any:
        if kind == "array":
            items = schema.get("items")
            if isinstance(raw, list) and isinstance(items, dict):
                return [self._convert(item, items) for item in raw]
            return raw
        if not isinstance(raw, dict):
            return raw
        if schema.get("x-kubernetes-embedded-resource"):
            schema = _with_type_meta(schema)
        if "properties" in schema:
            return self._object(raw, schema)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return {key: self._convert(item, extra) for key, item in raw.items()}
        return {} if schema.get("x-kubernetes-preserve-unknown-fields") else raw

    def _object(self, raw: dict[str, Any], schema: Schema) -> dict[str, Any]:
        properties: dict[str, Schema] = schema.get("properties") or {}
        out: dict[str, Any] = {}
        for key, given in raw.items():
            sub = properties.get(key)
            if sub is None:
                continue  # pruned: unknown to the schema
            item = given
            if item is None and not sub.get("nullable"):
                if "default" not in sub:
                    continue  # a null that may not be null is dropped
                item = sub["default"]
            name = escape(key)
            if name is not None:
                out[name] = self._convert(item, sub)
        for key, name, sub in _defaulted(properties):
            if key not in raw:
                out[name] = self._convert(sub["default"], sub)
        return out


_DEFAULTED: dict[int, tuple[dict[str, Schema], list[tuple[str, str, Schema]]]] = {}


def _defaulted(properties: dict[str, Schema]) -> list[tuple[str, str, Schema]]:
    """(name, escaped name, schema) of the properties that have a default; cached per schema."""
    found = _DEFAULTED.get(id(properties))
    if found is None or found[0] is not properties:
        listed = [
            (key, name, sub)
            for key, sub in properties.items()
            if "default" in sub and (name := escape(key)) is not None
        ]
        found = _DEFAULTED[id(properties)] = (properties, listed)
    return found[1]


_ROOTS: dict[int, tuple[Schema, Schema]] = {}


def _with_type_meta(schema: Schema) -> Schema:
    """The schema of a resource root: its own fields plus apiVersion, kind, metadata name
    (built once per schema: the defaults cache below is keyed by its identity)."""
    found = _ROOTS.get(id(schema))
    if found is None or found[0] is not schema:
        properties = {**(schema.get("properties") or {}), **_TYPE_META}
        found = _ROOTS[id(schema)] = (
            schema,
            {**schema, "type": "object", "properties": properties},
        )
    return found[1]


def child(raw: dict[str, Any], name: str, schema: Schema) -> Any:
    """The value of property `name` after defaulting (None: absent, or null and not defaulted)."""
    item = raw.get(name)
    if item is None and "default" in schema and not (name in raw and schema.get("nullable")):
        return schema["default"]
    return item


def _string(text: str, fmt: Any) -> Any:
    """A string of a format CEL has its own type for, or the string (unparseable: as written)."""
    if fmt == "byte":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return text
    if fmt in ("date", "date-time", "duration"):
        from gitops.validation.cel import wellknown

        if fmt == "duration":
            nanos = go_duration_nanos(text)
            return text if nanos is None else wellknown.duration(nanos)
        moment = parse_time(text, date_only=fmt == "date")
        return text if moment is None else wellknown.timestamp(moment)
    return text


def go_duration_nanos(text: str) -> int | None:
    """Nanoseconds of a Go duration ("1h30m", "1.5s", "-300ms", "0"), or None."""
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return 0
    if not body or _GO_DURATION.sub("", body):
        return None
    total = 0.0
    for number, unit in _GO_DURATION.findall(body):
        if number in ("", "."):
            return None
        total += float(number) * _NANOS[unit]
    return -int(total) if text.startswith("-") else int(total)


def parse_time(text: str, *, date_only: bool) -> dt.datetime | None:
    """An RFC 3339 date-time (or full date), UTC when it names no offset; None if not one."""
    try:
        if date_only:
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
