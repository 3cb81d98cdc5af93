"""Where a vendored CRD came from: the record `refresh` keeps for each kind in SOURCES.yaml.

A record is built from, in order of precedence: the command line (`--repository`, `--commit`...)
or the upstream release being read (`--release`: upstream, repository, path, commit, release),
the CRD's own `vendored.gitops/<key>` annotations (a hand-reduced copy of a CRD can carry its
origin that way, so that re-running `refresh` on it gives the same record), and the input itself
(its location and sha256). `retrieved` is the date given, else the annotation, else the date of the
previous record when the input is byte-identical, else today: an unchanged input never changes
SOURCES.yaml.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

ANNOTATION_PREFIX = "vendored.gitops/"
KEYS = ("repository", "path", "commit", "release", "retrieved", "note")


def annotated(crd: dict[str, Any]) -> dict[str, str]:
    """The `vendored.gitops/<key>` annotations of a CRD object, without the prefix."""
    annotations = (crd.get("metadata") or {}).get("annotations") or {}
    found = {key: annotations.get(ANNOTATION_PREFIX + key) for key in KEYS}
    return {key: str(value) for key, value in found.items() if value not in (None, "")}


def shown_location(location: str) -> str:
    """A local path relative to the working folder when it lies inside it (stable records)."""
    if location.startswith(("http://", "https://")):
        return location
    try:
        return Path(location).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return location


def record(
    crd: dict[str, Any],
    location: str,
    raw: bytes,
    given: dict[str, Any],
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    """The `source` record of one CRD read from `location` (whose bytes are `raw`)."""
    out: dict[str, Any] = annotated(crd)
    out.update({key: value for key, value in given.items() if value})
    out["location"] = shown_location(location)
    out["sha256"] = hashlib.sha256(raw).hexdigest()
    if "retrieved" not in out:
        kept = previous.get("retrieved") if previous else None
        same = previous is not None and previous.get("sha256") == out["sha256"] and kept
        out["retrieved"] = str(kept) if same else dt.date.today().isoformat()
    generator = ((crd.get("metadata") or {}).get("annotations") or {}).get(
        "controller-gen.kubebuilder.io/version"
    )
    if generator:
        out["controllerGen"] = str(generator)
    order = ("upstream", *KEYS, "location", "sha256", "controllerGen")
    return {key: out[key] for key in order if key in out}
