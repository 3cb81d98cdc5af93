"""Pairing the ConfigMaps and Secrets that kustomize's generators name after their content.

A generated object's name ends in `-` and a hash of its content: a one-value change removes
`web-env-5f7b8d9c2h` and adds `web-env-t2k4m6g8b9`. Paired by kind, namespace and the name before
the hash, the two are one changed object, renamed, whose changed keys can be shown.

The suffix is 10 characters of a SHA-256 in hex with 0, 1, 3, a, e replaced by g, h, k, m, t
(kustomize's `api/hasher/hasher.go`, `Encode`, copied from kubectl's `util/hash/hash.go`), so it
is drawn from `2456789bcdfghkmt` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

GENERATED_KINDS = frozenset({"ConfigMap", "Secret"})
_HASHED = re.compile(r"^(?P<base>.+)-(?P<hash>[2456789bcdfghkmt]{10})$")

ObjectKey = tuple[str, str, str]
"""kind, namespace, name"""


def base_name(name: str) -> str | None:
    """The name before a kustomize content hash (`web-env` of `web-env-5f7b8d9c2h`), else None."""
    match = _HASHED.match(name)
    return match["base"] if match else None


def pair_renamed(
    removed: Iterable[ObjectKey], added: Iterable[ObjectKey]
) -> dict[ObjectKey, ObjectKey]:
    """{old key: new key} for each removed generated object that one added object replaces
    (same kind, namespace and name before the hash; pairs only when each side has exactly one)."""

    def groups(keys: Iterable[ObjectKey]) -> dict[tuple[str, str, str], list[ObjectKey]]:
        found: dict[tuple[str, str, str], list[ObjectKey]] = {}
        for key in keys:
            kind, namespace, name = key
            base = base_name(name) if kind in GENERATED_KINDS else None
            if base is not None:
                found.setdefault((kind, namespace, base), []).append(key)
        return found

    old_groups, new_groups = groups(removed), groups(added)
    return {
        olds[0]: new_groups[group][0]
        for group, olds in old_groups.items()
        if len(olds) == 1 and len(new_groups.get(group, ())) == 1
    }
