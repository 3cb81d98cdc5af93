"""Sealing one value and building the SealedSecret that carries it, as kubeseal does.

Upstream (bitnami-labs/sealed-secrets, commit 86671a8851be1e6c2dfef4e12e2d7c19ed24ac94):

- the OAEP label per scope is `EncryptionLabel` (pkg/apis/sealedsecrets/v1alpha1/
  sealedsecret_expansion.go:91-104): strict "<namespace>/<name>", namespace-wide "<namespace>",
  cluster-wide empty; `kubeseal --raw` seals one value with it and prints it base64-encoded with
  the standard alphabet (pkg/kubeseal/kubeseal.go:495-505);
- the object is `NewSealedSecret` (sealedsecret_expansion.go:209-263): metadata name and
  namespace, spec.encryptedData, spec.template with the Secret's metadata and type; a scope other
  than strict is the annotation `sealedsecrets.bitnami.com/<scope>: "true"` on the SealedSecret
  and (copied from the Secret) on the template (kubeseal.go:250-252, expansion.go:171-187);
- the controller reads the scope from the SealedSecret's own annotations, cluster-wide first
  (expansion.go:107-120, 266-274), and an item keeps unsealing under another key name (README,
  "Scopes"): merging one key leaves the others as they are, like `kubeseal --merge-into`.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, cast, get_args

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from ruamel.yaml.comments import CommentedMap

from gitops.errors import ConfigError, UsageError
from gitops.repo.configyaml import node_line
from gitops.secrets.crypto import hybrid_encrypt

Scope = Literal["strict", "namespace-wide", "cluster-wide"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
API_VERSION = "bitnami.com/v1alpha1"
KIND = "SealedSecret"
OPAQUE = "Opaque"
"""The Secret type for arbitrary user data (what the API server defaults a Secret to)."""
SCOPE_ANNOTATIONS: dict[Scope, str] = {
    "cluster-wide": "sealedsecrets.bitnami.com/cluster-wide",
    "namespace-wide": "sealedsecrets.bitnami.com/namespace-wide",
}
_WIDE_FIRST: tuple[Scope, ...] = ("cluster-wide", "namespace-wide")
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_NAME = re.compile(rf"{_DNS_LABEL}(\.{_DNS_LABEL})*")
_NAMESPACE = re.compile(_DNS_LABEL)
_KEY = re.compile(r"[-._a-zA-Z0-9]+")


def encryption_label(namespace: str, name: str, scope: Scope = "strict") -> bytes:
    """The OAEP label that binds a sealed value to its scope (upstream's `EncryptionLabel`)."""
    _check_scope(scope)
    if scope == "cluster-wide":
        return b""
    if scope == "namespace-wide":
        return namespace.encode()
    return f"{namespace}/{name}".encode()


def seal_value(
    public_key: RSAPublicKey,
    *,
    namespace: str,
    name: str,
    key: str,
    value: bytes,
    scope: Scope = "strict",
) -> str:
    """`value` sealed for the Secret `namespace`/`name`, as `kubeseal --raw` prints it.

    `key` (the item's name in the Secret) is only checked: items are not part of the label.
    """
    check_identity(namespace=namespace, name=name, key=key)
    if not value:
        raise UsageError(f"nothing to seal for {key!r}: the value is empty")
    sealed = hybrid_encrypt(public_key, value, encryption_label(namespace, name, scope))
    return base64.b64encode(sealed).decode("ascii")


def sealed_secret(
    name: str,
    namespace: str,
    encrypted: Mapping[str, str],
    *,
    secret_type: str = OPAQUE,
    scope: Scope = "strict",
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The SealedSecret kubeseal writes for a Secret with this metadata, keys in its order.

    `labels` and `annotations` are the Secret's (they go to the template, as with kubeseal).
    """
    _check_scope(scope)
    scope_annotations = {SCOPE_ANNOTATIONS[scope]: "true"} if scope in SCOPE_ANNOTATIONS else {}
    template_annotations = {**(annotations or {}), **scope_annotations}
    metadata: dict[str, Any] = _metadata(name, namespace, scope_annotations, {})
    template_metadata = _metadata(name, namespace, template_annotations, dict(labels or {}))
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "spec": {
            "encryptedData": dict(sorted(encrypted.items())),
            "template": {"metadata": template_metadata, "type": secret_type},
        },
    }


def scope_of(sealed: Mapping[str, Any]) -> Scope:
    """The scope the controller unseals `sealed` with (its annotations; cluster-wide first)."""
    annotations = _mapping(_mapping(sealed.get("metadata")).get("annotations"))
    for scope in _WIDE_FIRST:
        if annotations.get(SCOPE_ANNOTATIONS[scope]) == "true":
            return scope
    return "strict"


def merge_key(
    existing: Mapping[str, Any] | None,
    *,
    name: str,
    namespace: str,
    key: str,
    encrypted_value: str,
    scope: Scope = "strict",
    secret_type: str = OPAQUE,
    shown: Path | str | None = None,
) -> dict[str, Any]:
    """A copy of `existing` with `key` set to `encrypted_value` and every other item unchanged
    (a new SealedSecret when `existing` is None); a ConfigError if `existing` is not the
    SealedSecret of `namespace`/`name` sealed with `scope`."""
    check_identity(namespace=namespace, name=name, key=key)
    if existing is None:
        return sealed_secret(
            name, namespace, {key: encrypted_value}, secret_type=secret_type, scope=scope
        )
    _check_same_secret(existing, name=name, namespace=namespace, scope=scope, shown=shown)
    merged = cast(dict[str, Any], copy.deepcopy(existing))
    _set_item(merged["spec"]["encryptedData"], key, encrypted_value)
    return merged


def _set_item(items: dict[str, Any], key: str, value: str) -> None:
    """Replace `key` in place; a new key goes where kubeseal's sorted order puts it (at the end
    when the items are not sorted), so the rest of a round-trip document stays as it was."""
    if key in items or list(items) != sorted(items):
        items[key] = value
        return
    position = sum(1 for k in items if k < key)
    if isinstance(items, CommentedMap):
        items.insert(position, key, value)
        return
    entries = list(items.items())
    entries.insert(position, (key, value))
    items.clear()
    items.update(entries)


def check_identity(*, namespace: str, name: str, key: str | None = None) -> None:
    """A UsageError unless these are a valid namespace, Secret name and item key."""
    if not _NAMESPACE.fullmatch(namespace) or len(namespace) > 63:
        raise UsageError(f"not a valid namespace: {namespace!r} (a DNS-1123 label)")
    if not _NAME.fullmatch(name) or len(name) > 253:
        raise UsageError(f"not a valid Secret name: {name!r} (a DNS-1123 subdomain)")
    if key is not None and (not _KEY.fullmatch(key) or len(key) > 253):
        raise UsageError(f"not a valid Secret key: {key!r} (letters, digits, '-', '_', '.')")


def _check_same_secret(
    existing: Mapping[str, Any],
    *,
    name: str,
    namespace: str,
    scope: Scope,
    shown: Path | str | None,
) -> None:
    metadata = _mapping(existing.get("metadata"))
    spec = _mapping(existing.get("spec"))
    if existing.get("kind") != KIND or existing.get("apiVersion") != API_VERSION:
        raise ConfigError(f"not a {API_VERSION} {KIND}", path=shown, line=node_line(existing))
    found = (metadata.get("namespace"), metadata.get("name"))
    if found != (namespace, name):
        raise ConfigError(
            f"holds the SealedSecret {found[0]}/{found[1]}, not {namespace}/{name}",
            path=shown,
            line=node_line(metadata),
        )
    if scope_of(existing) != scope:
        raise ConfigError(
            f"its items are sealed with scope {scope_of(existing)}, not {scope}: "
            "one SealedSecret has one scope",
            path=shown,
            line=node_line(metadata),
        )
    if not isinstance(spec.get("encryptedData"), Mapping) or "data" in spec:
        raise ConfigError(
            "no spec.encryptedData mapping (or the deprecated spec.data): re-seal it whole",
            path=shown,
            line=node_line(spec),
        )


def _metadata(
    name: str, namespace: str, annotations: Mapping[str, str], labels: Mapping[str, str]
) -> dict[str, Any]:
    """ObjectMeta as kubeseal prints it: keys in alphabetical order, empty maps left out."""
    fields: dict[str, Any] = {
        "annotations": dict(sorted(annotations.items())),
        "labels": dict(sorted(labels.items())),
        "name": name,
        "namespace": namespace,
    }
    return {k: v for k, v in fields.items() if v != {}}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _check_scope(scope: str) -> None:
    if scope not in SCOPES:
        raise UsageError(f"unknown scope {scope!r}: one of {', '.join(SCOPES)}")
