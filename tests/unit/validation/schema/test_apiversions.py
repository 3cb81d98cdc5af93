"""Which of several API versions to suggest first (`schema.apiversions`)."""

from __future__ import annotations

from gitops.validation.schema import apiversions


def test_api_version_preference() -> None:
    assert apiversions.by_preference(["x/v1beta1", "x/v1", "x/v2alpha1", "x/v2"]) == [
        "x/v2",
        "x/v1",
        "x/v1beta1",
        "x/v2alpha1",
    ]
