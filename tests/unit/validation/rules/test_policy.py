"""The image policy's reading of image references (`rules.policy`)."""

from __future__ import annotations

import pytest

from gitops.validation.rules.policy import split_image


@pytest.mark.parametrize(
    ("image", "parts"),
    [
        ("nginx", ("nginx", None, None)),
        ("nginx:1.27", ("nginx", "1.27", None)),
        ("localhost:5000/app", ("localhost:5000/app", None, None)),
        ("localhost:5000/app:2", ("localhost:5000/app", "2", None)),
        ("ghcr.io/a/b:1@sha256:abc", ("ghcr.io/a/b", "1", "sha256:abc")),
        ("ghcr.io/a/b@sha256:abc", ("ghcr.io/a/b", None, "sha256:abc")),
    ],
)
def test_image_references(image: str, parts: tuple) -> None:
    assert split_image(image) == parts
