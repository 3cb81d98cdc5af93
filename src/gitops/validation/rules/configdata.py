"""Secrets and ConfigMaps the API server refuses: values that are not base64, bad keys, too much
data, and the keys a Secret's type requires.

What it mirrors, in kubernetes/kubernetes (commit 000f26050b9be6fb3d79fae95e06b47fc96128cd):
`ValidateSecret` and `ValidateConfigMap` in pkg/apis/core/validation/validation.go (keys by
`IsConfigMapKey`, 1 MiB of data at most, the keys each Secret type requires), after
`Convert_v1_Secret_To_core_Secret` (pkg/apis/core/v1/conversion.go) has copied `stringData` over
`data`, and after the JSON decoding of `data` and `binaryData` (Go `[]byte`: standard base64 with
padding, line breaks ignored), which refuses the object before any validation runs.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterator
from typing import Any

from gitops.validation.model import Context, FieldPath, Issue, Manifest
from gitops.validation.registry import rule
from gitops.validation.rules._util import as_dict, config_key_problem

MAX_DATA_BYTES = 1024 * 1024  # core.MaxSecretSize, for ConfigMaps too
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_LINE_BREAKS = str.maketrans("", "", "\r\n")  # Go's base64 decoder skips them

# Secret types and what ValidateSecret requires of them: {type: (keys, how many must be there)}
_TYPE_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "kubernetes.io/tls": (("tls.crt", "tls.key"), "all"),
    "kubernetes.io/dockerconfigjson": ((".dockerconfigjson",), "all"),
    "kubernetes.io/dockercfg": ((".dockercfg",), "all"),
    "kubernetes.io/basic-auth": (("username", "password"), "any"),
    "kubernetes.io/ssh-auth": (("ssh-privatekey",), "non-empty"),
}
_JSON_KEYS = {".dockerconfigjson", ".dockercfg"}
SERVICE_ACCOUNT_ANNOTATION = "kubernetes.io/service-account.name"
SERVICE_ACCOUNT_TOKEN_TYPE = "kubernetes.io/service-account-token"  # noqa: S105 - a type name


def base64_problem(value: str) -> str | None:
    """Why Go's JSON decoder refuses `value` as a []byte (standard base64), None if it does not."""
    text = value.translate(_LINE_BREAKS)
    if _BASE64.fullmatch(text) and len(text) % 4 == 0:
        return None
    bad = next((c for c in text if c not in _ALPHABET), None)
    if bad is not None:
        if bad in "-_":
            return (
                f"it has {bad!r}: that is URL-safe base64; encode with the standard alphabet (+ /)"
            )
        if bad in " \t":
            return (
                "it has a space: a folded block (>) joins lines with spaces; use a literal "
                "block (|) or one line"
            )
        return f"it has {bad!r}, which is not a base64 character (A-Z a-z 0-9 + / =)"
    if "=" in text.rstrip("="):
        return "it has '=' before its end: padding only ends a value"
    return f"its length ({len(text)}) is not a multiple of 4: the '=' padding is missing or cut"


def decoded_size(value: str) -> int:
    text = value.translate(_LINE_BREAKS)
    return len(text) * 3 // 4 - (len(text) - len(text.rstrip("=")))


_key_problem = functools.lru_cache(maxsize=8192)(config_key_problem)


def _secret_values(manifest: Manifest) -> dict[str, tuple[FieldPath, Any, bool]]:
    """key -> (path, value, is base64) of the Secret as the API server validates it: data, with
    stringData copied over it."""
    values: dict[str, tuple[FieldPath, Any, bool]] = {}
    for field, encoded in (("data", True), ("stringData", False)):
        for key, value in as_dict(manifest.obj.get(field)).items():
            values[str(key)] = ((field, key), value, encoded)
    return values


@rule(
    "GB230",
    "invalid-base64",
    severity="error",
    scope="object",
    summary="A Secret's data (or a ConfigMap's binaryData) value is not valid base64, so the API "
    "server cannot decode the object.",
    remediation="Encode with `base64 -w0` (standard alphabet, '=' padding), or put the plain text "
    "under stringData (Secret) / data (ConfigMap).",
    kinds=["Secret", "ConfigMap"],
)
def check_base64(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    field = "data" if manifest.kind == "Secret" else "binaryData"
    if manifest.group:
        return  # another API's Secret or ConfigMap
    for key, value in as_dict(manifest.obj.get(field)).items():
        if not isinstance(value, str):
            continue  # the schema reports a value that is not a string
        problem = base64_problem(value)
        if problem:
            plain = "stringData" if field == "data" else "data"
            yield Issue(
                manifest,
                (field, key),
                f"{field}.{key} is not valid base64: {problem}; or put the plain value under "
                f"{plain} instead",
            )


@rule(
    "GB231",
    "invalid-data-key",
    severity="error",
    scope="object",
    summary="A ConfigMap or Secret key is not a valid key, a ConfigMap key is in both data and "
    "binaryData, or the data exceeds 1 MiB.",
    remediation="Keys: letters, digits, '-', '_', '.' (not starting with '..'); keep each key in "
    "one place; move large data to a volume or an image.",
    kinds=["Secret", "ConfigMap"],
)
def check_data_keys(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    if manifest.group:
        return
    if manifest.kind == "Secret":
        values = _secret_values(manifest)
        fields: tuple[str, ...] = ("data", "stringData")
    else:
        values = {}
        fields = ("data", "binaryData")
        for field in fields:
            for key, value in as_dict(manifest.obj.get(field)).items():
                if field == "binaryData" and str(key) in values:
                    yield Issue(
                        manifest,
                        ("data", key),
                        f"key {key!r} is in both data and binaryData; keep it in one of them",
                    )
                values[str(key)] = ((field, key), value, field == "binaryData")
    for field in fields:
        for key in as_dict(manifest.obj.get(field)):
            problem = _key_problem(str(key))
            if problem:
                yield Issue(manifest, (field, key), f"key {key!r} {problem}")
    yield from _size_issues(manifest, values, fields)


def _size_issues(
    manifest: Manifest, values: dict[str, tuple[FieldPath, Any, bool]], fields: tuple[str, ...]
) -> Iterator[Issue]:
    """All the data, decoded, must fit in MAX_DATA_BYTES."""
    texts = [(value, encoded) for _, value, encoded in values.values() if isinstance(value, str)]
    if sum(len(value) for value, _ in texts) * 4 <= MAX_DATA_BYTES:
        return  # well under the limit, whatever the encoding (at most 4 bytes a character)
    size = sum(decoded_size(v) if encoded else len(v.encode()) for v, encoded in texts)
    if size > MAX_DATA_BYTES:
        where = next((f for f in fields if manifest.obj.get(f)), fields[0])
        yield Issue(
            manifest,
            (where,),
            f"the {manifest.kind} holds {size} bytes of data, over the API server's limit of "
            f"{MAX_DATA_BYTES} (1 MiB); move the large values to a volume, an image or object "
            "storage",
        )


def _decoded(value: Any, encoded: bool) -> bytes | None:
    """The bytes the API server stores for a value (None when it cannot be decoded: GB230)."""
    if not isinstance(value, str):
        return b"" if value is None else None
    if not encoded:
        return value.encode()
    if base64_problem(value):
        return None
    return base64.b64decode(value.translate(_LINE_BREAKS))


@rule(
    "GB232",
    "secret-type-keys",
    severity="error",
    scope="object",
    summary="A Secret lacks what its type requires (kubernetes.io/tls: tls.crt and tls.key; "
    "dockerconfigjson: a JSON .dockerconfigjson; basic-auth, ssh-auth, service-account-token).",
    remediation="Add the keys the type requires (data or stringData), or use type Opaque.",
    kinds=["Secret"],
)
def check_secret_type(manifest: Manifest, ctx: Context) -> Iterator[Issue]:
    secret_type = manifest.obj.get("type")
    if manifest.group or not isinstance(secret_type, str):
        return
    if secret_type == SERVICE_ACCOUNT_TOKEN_TYPE:
        annotations = as_dict(manifest.metadata.get("annotations"))
        if not annotations.get(SERVICE_ACCOUNT_ANNOTATION):
            yield Issue(
                manifest,
                ("metadata", "annotations") if annotations else ("metadata",),
                f"type {secret_type} needs the annotation {SERVICE_ACCOUNT_ANNOTATION} naming "
                "the ServiceAccount whose token it holds",
            )
        return
    required = _TYPE_KEYS.get(secret_type)
    if required is not None:
        values = _secret_values(manifest)
        yield from _required_key_issues(manifest, secret_type, required, values)
        yield from _json_issues(manifest, values)


def _required_key_issues(
    manifest: Manifest,
    secret_type: str,
    required: tuple[tuple[str, ...], str],
    values: dict[str, tuple[FieldPath, Any, bool]],
) -> Iterator[Issue]:
    keys, how = required
    present = [key for key in keys if key in values]
    if how == "all":
        ok = len(present) == len(keys)
    elif how == "any":
        ok = bool(present)
    else:  # non-empty: ssh-auth's private key (one that GB230 cannot decode is its business)
        ok = bool(present) and all(_decoded(*values[key][1:]) != b"" for key in present)
    if ok:
        return
    missing = [key for key in keys if key not in present] or list(keys)
    need = " or ".join(keys) if how == "any" else " and ".join(keys)
    what = "a non-empty " if how == "non-empty" else ""
    yield Issue(
        manifest,
        ("type",),
        f"type {secret_type} needs {what}{need} in data or stringData (missing: "
        f"{', '.join(missing)}); add them, or use type Opaque",
    )


def _json_issues(
    manifest: Manifest, values: dict[str, tuple[FieldPath, Any, bool]]
) -> Iterator[Issue]:
    """A registry login (.dockerconfigjson, .dockercfg) must be a JSON object."""
    for key in sorted(_JSON_KEYS & set(values)):
        path, value, encoded = values[key]
        raw = _decoded(value, encoded)
        problem = None if raw is None else _json_object_problem(raw)
        if problem:
            yield Issue(
                manifest, path, f"{key} must be a JSON object (a registry login): {problem}"
            )


def _json_object_problem(raw: bytes) -> str | None:
    """Why Go's json.Unmarshal into map[string]interface{} refuses `raw` (null is accepted)."""
    try:
        value = json.loads(raw.decode("utf-8", errors="replace"))
    except ValueError as exc:
        return f"it does not parse ({exc})"
    if value is not None and not isinstance(value, dict):
        return f"it is a JSON {type(value).__name__}, not an object"
    return None
