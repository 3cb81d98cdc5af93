"""Image references as bump reads them: the distribution/reference grammar, pinned or refused."""

from __future__ import annotations

import pytest

from gitops.delivery.imageref import (
    ImageRef,
    ImageRefError,
    from_kustomize_entry,
    parse_image_ref,
    parse_pinned_image_ref,
    to_kustomize_fields,
)

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("text", "repository", "tag", "digest"),
    [
        ("ghcr.io/example/guestbook:1.4.2", "ghcr.io/example/guestbook", "1.4.2", None),
        (f"ghcr.io/example/guestbook@{DIGEST}", "ghcr.io/example/guestbook", None, DIGEST),
        (f"ghcr.io/example/guestbook:1.4@{DIGEST}", "ghcr.io/example/guestbook", "1.4", DIGEST),
        ("localhost:5000/team/app/web:v2", "localhost:5000/team/app/web", "v2", None),
        (
            "registry.example.com:443/a/b/c:2024_01",
            "registry.example.com:443/a/b/c",
            "2024_01",
            None,
        ),
        ("Registry.Example.COM/app:1", "Registry.Example.COM/app", "1", None),
        ("guestbook:1", "guestbook", "1", None),
        ("docker.io/library/python:3.11-slim", "docker.io/library/python", "3.11-slim", None),
        ("a/b__c/d--e.f_g:x", "a/b__c/d--e.f_g", "x", None),
        ("[::1]:5000/app:1", "[::1]:5000/app", "1", None),
    ],
)
def test_parses_the_reference_grammar(text: str, repository: str, tag: str, digest: str) -> None:
    ref = parse_image_ref(text)
    assert (ref.repository, ref.tag, ref.digest) == (repository, tag, digest)
    assert str(ref) == text


def test_registry_port_without_tag_is_not_a_tag() -> None:
    ref = parse_image_ref(f"localhost:5000/app@{DIGEST}")
    assert ref.repository == "localhost:5000/app"
    assert ref.tag is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ghcr.io/example/guestbook:latest", "the tag 'latest' moves"),
        (f"ghcr.io/example/guestbook:latest@{DIGEST}", f"ghcr.io/example/guestbook@{DIGEST}"),
        ("ghcr.io/example/guestbook", "neither tag nor digest"),
        ("ghcr.io/example/guestbook@sha256:abc", "64 hex digits"),
        ("ghcr.io/example/guestbook@sha256:" + "g" * 64, "not hex digits"),
        ("ghcr.io/example/guestbook@sha256:" + "A" * 64, "lower case"),
        ("ghcr.io/example/guestbook@md5:" + "a" * 64, "must start with 'sha256:'"),
        ("ghcr.io/Example/Guestbook:1", "must be lower case (try 'ghcr.io/example/guestbook'"),
        ("Registry.Example.COM/App:1", "(try 'Registry.Example.COM/app'"),
        ("ghcr.io/example/guestbook:-1", "tag '-1' is not valid"),
        ("ghcr.io/example/guestbook:" + "x" * 129, "up to 128 characters"),
        ("ghcr.io//guestbook:1", "component '' is not valid"),
        ("ghcr.io/example/guest book:1", "white space"),
        ("ghcr.io/example/-guestbook:1", "'-guestbook' is not valid"),
        ("bad_host.io:x/app:1", "registry host"),
        ("", "is required"),
        (":1", "repository name is missing"),
        ("a/" + "b" * 260 + ":1", "longer than 255"),
    ],
)
def test_refuses_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ImageRefError) as caught:
        parse_pinned_image_ref(text)
    assert message in str(caught.value)


def test_kustomize_entry_round_trip() -> None:
    ref = ImageRef("ghcr.io/example/guestbook", "1.4", DIGEST)
    fields = to_kustomize_fields(ref)
    assert fields == {"newName": "ghcr.io/example/guestbook", "newTag": "1.4", "digest": DIGEST}
    assert from_kustomize_entry({"name": "guestbook", **fields}) == ref


def test_kustomize_entry_without_new_name_keeps_the_name() -> None:
    ref = from_kustomize_entry({"name": "ghcr.io/example/guestbook", "digest": DIGEST})
    assert ref == ImageRef("ghcr.io/example/guestbook", None, DIGEST)
    assert to_kustomize_fields(ImageRef("x/y", "1"))["digest"] is None


def test_same_image_compares_digests_first() -> None:
    a = ImageRef("x/y", "1", DIGEST)
    assert a.same_image(ImageRef("x/y", None, DIGEST))
    assert not a.same_image(ImageRef("x/y", "1", "sha256:" + "f" * 64))
    assert not a.same_image(ImageRef("x/z", "1", DIGEST))
    assert ImageRef("x/y", "1").same_image(ImageRef("x/y", "1"))
