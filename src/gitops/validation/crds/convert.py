"""Turn a CRD's OpenAPI v3 structural schema into a JSON Schema that `jsonschema` can check.

What changes, and why:
- `nullable: true` adds "null" to the allowed types (and to `enum`).
- `x-kubernetes-int-or-string: true` accepts an integer or a string.
- `x-kubernetes-preserve-unknown-fields: true` keeps fields the schema does not list: a node with no
  `properties` accepts anything, a node with `properties` checks those and lets others through.
- `x-kubernetes-embedded-resource: true` is an object; its own `properties` (if any) are checked.
- `format` is dropped: the API server knows formats (`int32`, `duration`, ...) a JSON Schema
  validator doesn't, and a validator must never reject what the server accepts.
- OpenAPI 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric JSON Schema form.
- `description`, `example` and the other `x-kubernetes-*` annotations are dropped (no effect on
  validity). `default` stays, as the annotation it is in JSON Schema: `with_defaults` reads it.

Defaults (`with_defaults`): the API server fills in a missing field that has a `default` before it
validates the object, so a custom resource is checked the same way: with its defaults applied. A
`required` field with a default may be left out (controller-gen writes both for a defaulted field
without omitempty), and a `oneOf` that tells branches apart by a defaulted field (Gateway API's
`addresses[].type`, default IPAddress) sees the value the server sees.

Strictness (a deliberate difference from the API server): for a structural schema the server
*prunes* fields it doesn't know, silently. In a GitOps repository an unknown field is almost
always a typo (`selfheal`, `sepc`) that would vanish on apply, so an object node with `properties`,
no `additionalProperties` and no `x-kubernetes-preserve-unknown-fields` gets
`additionalProperties: false`: unknown fields are errors. An object node without `properties`
(for example `metadata: {type: object}`) stays open.

CEL rules (`x-kubernetes-validations`) cannot be evaluated here and are ignored; see
`gitops.validation.crds.cel_rules()` for the rules each vendored kind carries.
"""

from __future__ import annotations

import copy
from typing import Any

Schema = dict[str, Any]

_KEEP = frozenset(
    {
        "type",
        "enum",
        "pattern",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "multipleOf",
        "required",
        "default",
    }
)


def to_json_schema(node: Any, *, strict: bool = True) -> Schema:
    """Convert one OpenAPI v3 (structural) schema node, recursively."""
    if not isinstance(node, dict):
        return {}
    out: Schema = {key: node[key] for key in _KEEP if key in node}
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(bound) is True and limit in node:
            out[bound] = out.pop(limit)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
    if node.get("x-kubernetes-embedded-resource"):
        out["type"] = "object"
    _convert_children(node, out, strict)
    _convert_combinators(node, out)
    if node.get("nullable"):
        _allow_null(out)
    return out


def _convert_children(node: Schema, out: Schema, strict: bool) -> None:
    props = node.get("properties")
    if isinstance(props, dict):
        out["properties"] = {
            name: to_json_schema(sub, strict=strict) for name, sub in props.items()
        }
    extra = node.get("additionalProperties")
    preserve = bool(node.get("x-kubernetes-preserve-unknown-fields"))
    if isinstance(extra, dict):
        out["additionalProperties"] = to_json_schema(extra, strict=strict)
    elif isinstance(extra, bool):
        out["additionalProperties"] = extra
    elif strict and isinstance(props, dict) and not preserve:
        out["additionalProperties"] = False
    if isinstance(node.get("items"), dict):
        out["items"] = to_json_schema(node["items"], strict=strict)


def _convert_combinators(node: Schema, out: Schema) -> None:
    """allOf/anyOf/oneOf/not only restrict values in structural schemas: no strictness inside."""
    for key in ("allOf", "oneOf"):
        if isinstance(node.get(key), list):
            out[key] = [to_json_schema(s, strict=False) for s in node[key]]
    any_of = node.get("anyOf")
    converted = (
        [to_json_schema(s, strict=False) for s in any_of] if isinstance(any_of, list) else []
    )
    if node.get("x-kubernetes-int-or-string"):
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        if converted:
            out["allOf"] = [*out.get("allOf", []), {"anyOf": converted}]
    elif converted:
        out["anyOf"] = converted
    if isinstance(node.get("not"), dict):
        out["not"] = to_json_schema(node["not"], strict=False)


def _allow_null(out: Schema) -> None:
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
    elif "anyOf" in out:
        out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]


def object_schema(openapi: Schema, *, strict: bool = True) -> Schema:
    """The schema of a whole custom resource: its CRD version schema plus the object envelope.

    `apiVersion` and `kind` must be strings and `metadata` an object (the core schemas check
    metadata's fields); the top level is strict like every other node with properties.
    """
    schema = to_json_schema(openapi, strict=strict)
    schema["type"] = "object"
    props = schema.setdefault("properties", {})
    props["apiVersion"] = {"type": "string"}
    props["kind"] = {"type": "string"}
    props["metadata"] = {"type": "object"}
    if strict and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
    return schema


def with_defaults(schema: Schema, obj: Any) -> Any:
    """`obj` with the defaults of `schema` filled in, as the API server does before validating.

    A field is defaulted when it is missing, or null where the schema does not allow null (the
    server prunes such a null, then defaults). Defaults apply below fields that are present, in
    list items and map values; structural schemas put none inside allOf/anyOf/oneOf/not. Returns
    `obj` itself when nothing applies (the usual case); changed containers are copies.
    """
    return _defaulted(schema, obj)[0]


def _defaulted(schema: Any, value: Any) -> tuple[Any, bool]:
    """(value with defaults, whether anything was filled in)."""
    if not isinstance(schema, dict):
        return value, False
    if isinstance(value, list):
        return _defaulted_items(schema.get("items"), value)
    if isinstance(value, dict):
        return _defaulted_fields(schema, value)
    return value, False


def _defaulted_items(items: Any, value: list[Any]) -> tuple[Any, bool]:
    pairs = [_defaulted(items, item) for item in value]
    if not any(changed for _, changed in pairs):
        return value, False
    return [item for item, _ in pairs], True


def _defaulted_fields(schema: Schema, value: dict[str, Any]) -> tuple[Any, bool]:
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    out: dict[str, Any] | None = None
    for name, current in value.items():
        new, changed = _defaulted(props.get(name, schema.get("additionalProperties")), current)
        if changed:
            out = out if out is not None else dict(value)
            out[name] = new
    for name, sub in props.items():
        if not isinstance(sub, dict) or "default" not in sub:
            continue
        current = value.get(name, _MISSING)
        if current is _MISSING or (current is None and not _allows_null(sub)):
            out = out if out is not None else dict(value)
            out[name] = _defaulted(sub, copy.deepcopy(sub["default"]))[0]
    return (value, False) if out is None else (out, True)


_MISSING = object()


def _allows_null(schema: Schema) -> bool:
    kind = schema.get("type")
    return kind == "null" or (isinstance(kind, list) and "null" in kind)
