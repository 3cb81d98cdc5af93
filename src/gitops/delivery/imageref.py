"""Container image references: parse, check that they are pinned, format, map to kustomize.

The grammar is the one of github.com/distribution/reference (regexp.go), which Docker, containerd
and kustomize follow:

    reference := name [ ":" tag ] [ "@" digest ]
    name      := [ domain "/" ] path-component [ "/" path-component ]*
    domain    := host [ ":" port ]      (a first component with ".", ":" or "localhost")
    path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}

The name is at most 255 characters. Only `sha256:` digests of 64 lower-case hex digits are taken:
that is what registries serve and what `podman`/`docker` print, and anything else is a typo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN_RE = re.compile(rf"^{_HOST}(?::[0-9]+)?$")
_PATH_RE = re.compile(rf"^{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$", re.ASCII)
_DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
NAME_MAX = 255
MOVING_TAGS = frozenset({"latest"})


class ImageRefError(ValueError):
    """A reference that does not follow the grammar, or that is not pinned; `str()` says why."""


@dataclass(frozen=True)
class ImageRef:
    """`repository[:tag][@digest]`, e.g. `ghcr.io/example/guestbook:1.4@sha256:…`."""

    repository: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        text = self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    def same_image(self, other: ImageRef) -> bool:
        """Both name the same content: same repository and digest (or, without digests, tag)."""
        if self.repository != other.repository:
            return False
        if self.digest or other.digest:
            return self.digest == other.digest
        return self.tag == other.tag


def parse_image_ref(text: str) -> ImageRef:
    """Parse `text` by the reference grammar; an ImageRefError says what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        raise ImageRefError("an image reference is required, e.g. ghcr.io/owner/app:1.2.3")
    if text != text.strip() or any(c.isspace() for c in text):
        raise ImageRefError(f"image reference {text!r} contains white space")
    rest, at, digest = text.partition("@")
    if at:
        _check_digest(text, digest)
    name, tag = _split_tag(rest)
    if tag is not None and not _TAG_RE.match(tag):
        raise ImageRefError(
            f"{text!r}: tag {tag!r} is not valid (letters, digits, '_', '.', '-'; "
            "up to 128 characters, not starting with '.' or '-')"
        )
    _check_name(text, name)
    return ImageRef(repository=name, tag=tag, digest=digest or None)


def parse_pinned_image_ref(text: str) -> ImageRef:
    """Parse `text` and refuse references that do not pin an image: no tag and no digest,
    or the moving tag `latest`."""
    ref = parse_image_ref(text)
    if ref.tag in MOVING_TAGS:
        advice = (
            f"drop the tag and keep the digest: {ref.repository}@{ref.digest}"
            if ref.digest
            else f"use a version tag or a digest, e.g. {ref.repository}:1.2.3 or "
            f"{ref.repository}@sha256:<64 hex digits>"
        )
        raise ImageRefError(
            f"{text!r}: the tag 'latest' moves and deploys nothing reproducible; {advice}"
        )
    if ref.tag is None and ref.digest is None:
        raise ImageRefError(
            f"{text!r} has neither tag nor digest (it would mean 'latest'); "
            f"use {ref.repository}:<tag>, {ref.repository}@sha256:<digest> or both"
        )
    return ref


def _check_digest(text: str, digest: str) -> None:
    if _DIGEST_RE.match(digest):
        return
    algorithm, colon, hexpart = digest.partition(":")
    if not colon or algorithm != "sha256":
        why = "it must start with 'sha256:'"
    elif hexpart.lower() != hexpart and re.fullmatch(r"[0-9a-fA-F]{64}", hexpart):
        why = "its hex digits must be lower case"
    else:
        why = f"it has {len(hexpart)} characters after 'sha256:' where 64 hex digits belong"
        if re.search(r"[^0-9a-fA-F]", hexpart):
            why = "it contains characters that are not hex digits"
    raise ImageRefError(f"{text!r}: malformed digest {digest!r}: {why}")


def _split_tag(rest: str) -> tuple[str, str | None]:
    """Split `name[:tag]`: the tag follows the last ':' that comes after the last '/'."""
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return rest[:colon], rest[colon + 1 :]
    return rest, None


def _check_name(text: str, name: str) -> None:
    if not name:
        raise ImageRefError(f"{text!r}: the repository name is missing")
    if len(name) > NAME_MAX:
        raise ImageRefError(f"{text!r}: the repository name is longer than {NAME_MAX} characters")
    first, slash, remainder = name.partition("/")
    has_domain = bool(slash) and (
        "." in first or ":" in first or first == "localhost" or first.lower() != first
    )
    path = remainder if has_domain else name
    if has_domain and not _DOMAIN_RE.match(first):
        raise ImageRefError(f"{text!r}: registry host {first!r} is not a valid host[:port]")
    if _PATH_RE.match(path):
        return
    if _PATH_RE.match(path.lower()):
        suggestion = f"{first}/{path.lower()}" if has_domain else path.lower()
        raise ImageRefError(
            f"{text!r}: repository names must be lower case (try {suggestion!r}; "
            "only the registry host may contain upper case)"
        )
    bad = next((p for p in path.split("/") if not re.fullmatch(_PATH_COMPONENT, p)), path)
    raise ImageRefError(
        f"{text!r}: repository path component {bad!r} is not valid (lower-case letters and "
        "digits, separated by '.', '_', '__' or dashes, no empty parts)"
    )


def from_kustomize_entry(entry: Mapping[str, Any]) -> ImageRef:
    """The reference that a kustomization `images:` entry makes kustomize write.

    `newName` replaces the repository (else `name` stays), `newTag` and `digest` set the tag and
    the digest; kustomize writes `repo:tag@digest` when both are given.
    """
    repository = str(entry.get("newName") or entry.get("name") or "")
    tag = entry.get("newTag")
    digest = entry.get("digest")
    text = repository
    if tag not in (None, ""):
        text += f":{tag}"
    if digest not in (None, ""):
        text += f"@{digest}"
    return parse_image_ref(text)


def to_kustomize_fields(ref: ImageRef) -> dict[str, str | None]:
    """The `newName`, `newTag` and `digest` values of an `images:` entry for `ref`
    (None: the key must be absent)."""
    return {"newName": ref.repository, "newTag": ref.tag, "digest": ref.digest}
