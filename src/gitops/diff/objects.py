"""Cluster-state diff: what each environment's cluster would receive, before and after a change.

Input is two renders (`gitops.render.state.Rendered`); output is, per environment, the objects
added, removed and changed, keyed by kind, namespace and name (so a renamed file is not a change),
each with a unified diff of its YAML and its changed fields, and the risks a reviewer must see
(`gitops.diff.risks`). ConfigMaps and Secrets that kustomize names after their content are paired
across the rename (`gitops.diff.pairing`), so a one-value change is one changed object. The
generated header lines are left out, and Secret values never appear: each is replaced by a marker
that is equal on both sides when the value is equal (an HMAC under a key made for this one diff,
so the marker says "changed" without being a hash anyone could brute-force back to a short
password).
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from gitops.diff import risks
from gitops.diff.fields import FieldChange, ImageChange, field_changes, image_changes
from gitops.diff.pairing import pair_renamed
from gitops.render.objects import object_ref, strip_header
from gitops.render.state import Rendered

Status = Literal["added", "removed", "changed"]
Presence = Literal["both", "added", "removed"]
ObjectKey = tuple[str, str, str]
"""kind, namespace, name"""
SECRET_FIELDS = ("data", "stringData")


@dataclass(frozen=True)
class ObjectChange:
    status: Status
    ref: str
    """`Kind/namespace/name` (or `Kind/name` without a namespace): `render.objects.object_ref`."""
    file: str
    patch: str
    images: tuple[ImageChange, ...] = ()
    fields: tuple[FieldChange, ...] = ()
    """Changed fields other than container images, e.g. `spec.replicas: 2 → 3`."""
    renamed_from: str = ""
    """The old name of a generated ConfigMap or Secret whose content hash changed."""


@dataclass(frozen=True)
class EnvironmentDiff:
    env: str
    presence: Presence
    changes: tuple[ObjectChange, ...] = field(default_factory=tuple)
    risks: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.changes) or self.presence != "both"

    def count(self, status: Status) -> int:
        return sum(1 for c in self.changes if c.status == status)


@dataclass(frozen=True)
class _Object:
    key: ObjectKey
    ref: str
    file: str
    text: str
    data: Any
    masked: bool = False


def diff_renders(
    base: Rendered, head: Rendered, envs: list[str] | None = None
) -> list[EnvironmentDiff]:
    """The per-environment difference between two renders, in environment name order."""
    masker = _SecretMasker()
    names = sorted(set(base.files) | set(head.files)) if envs is None else envs
    return [_diff_environment(env, base, head, masker) for env in names]


def _diff_environment(
    env: str, base: Rendered, head: Rendered, masker: _SecretMasker
) -> EnvironmentDiff:
    presence: Presence = "both"
    if env not in base.files:
        presence = "added"
    elif env not in head.files:
        presence = "removed"
    old = _objects(base.of(env), masker)
    new = _objects(head.of(env), masker)
    renamed = pair_renamed(set(old) - set(new), set(new) - set(old))
    new_to_old = {new_key: old_key for old_key, new_key in renamed.items()}
    owners = risks.hpa_owners(
        {k: o.data for k, o in new.items()}, {k: o.ref for k, o in new.items()}
    )
    changes: list[ObjectChange] = []
    found_risks: list[str] = []
    for key in _ordered_keys(old, new):
        if key in renamed:
            continue  # shown with the object that replaces it
        before = old.get(new_to_old.get(key, key))
        after = new.get(key)
        change = _compare(env, before, after)
        if change is None:
            continue
        changes.append(change)
        found_risks += _risks_of(change, before, after, owners)
    return EnvironmentDiff(env, presence, tuple(changes), tuple(found_risks))


def _risks_of(
    change: ObjectChange, before: _Object | None, after: _Object | None, owners: Mapping[str, str]
) -> list[str]:
    if change.status == "changed" and after is not None:
        paths = [f.path for f in change.fields] + [f"{i.container}.image" for i in change.images]
        return risks.changed_object_risks(change.ref, after.key[0], after.data, paths, owners)
    if change.status == "removed" and before is not None:
        risk = risks.removed_object_risk(change.ref, before.key[0], before.data)
        return [risk] if risk else []
    return []


def _ordered_keys(
    old: Mapping[ObjectKey, _Object], new: Mapping[ObjectKey, _Object]
) -> list[ObjectKey]:
    def file_of(key: ObjectKey) -> str:
        return (new.get(key) or old[key]).file

    return sorted(set(old) | set(new), key=lambda k: (file_of(k), k))


def _compare(env: str, old: _Object | None, new: _Object | None) -> ObjectChange | None:
    if old is not None and new is not None and old.text == new.text:
        return None
    label_old = f"a/clusters/{env}/{old.file}" if old else "/dev/null"
    label_new = f"b/clusters/{env}/{new.file}" if new else "/dev/null"
    patch = "".join(
        difflib.unified_diff(
            _lines(old.text if old else ""),
            _lines(new.text if new else ""),
            fromfile=label_old,
            tofile=label_new,
        )
    )
    if old is None or new is None:
        some = new or old
        assert some is not None
        return ObjectChange("added" if old is None else "removed", some.ref, some.file, patch)
    renamed_from = old.key[2] if old.key != new.key else ""
    fields = field_changes(old.data, new.data, masked=new.masked)
    if renamed_from:
        fields = [f for f in fields if f.path != "metadata.name"]
    images = tuple(image_changes(old.data, new.data))
    return ObjectChange("changed", new.ref, new.file, patch, images, tuple(fields), renamed_from)


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


# ---- reading rendered files


def _objects(files: Mapping[str, bytes], masker: _SecretMasker) -> dict[ObjectKey, _Object]:
    objects: dict[ObjectKey, _Object] = {}
    for name in sorted(files):
        body = strip_header(files[name].decode("utf-8", errors="replace"))
        try:
            docs = [d for d in yaml.safe_load_all(body) if d is not None]
        except yaml.YAMLError:
            docs = []
        if not docs or not all(isinstance(d, dict) and d.get("kind") for d in docs):
            objects[("", "", name)] = _Object(("", "", name), f"file {name}", name, body, None)
            continue
        for doc in docs:
            key = _identity(doc)
            if key in objects:  # same object twice: keep both visible
                key = (*key[:2], f"{key[2]} ({name})")
            text = body if len(docs) == 1 else yaml.safe_dump(doc, sort_keys=False)
            data, masked = doc, False
            if doc.get("kind") == "Secret":
                data, masked = masker.mask(doc), True
                text = yaml.safe_dump(data, sort_keys=False, width=4096)
            objects[key] = _Object(key, object_ref(doc), name, text, data, masked)
    return objects


def _identity(doc: dict[str, Any]) -> ObjectKey:
    metadata = doc.get("metadata")
    meta: dict[str, Any] = metadata if isinstance(metadata, dict) else {}
    return (str(doc.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name") or "?"))


class _SecretMasker:
    """Replaces Secret values by `<hidden:8 hex>`, equal for equal values within one diff."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def marker(self, value: Any) -> str:
        digest = hmac.new(self._key, str(value).encode(), hashlib.sha256).hexdigest()
        return f"<hidden:{digest[:8]}>"

    def mask(self, doc: dict[str, Any]) -> dict[str, Any]:
        masked = dict(doc)
        for key in SECRET_FIELDS:
            values = doc.get(key)
            if isinstance(values, dict):
                masked[key] = {k: self.marker(v) for k, v in values.items()}
            elif values is not None:
                masked[key] = self.marker(values)
        return masked
