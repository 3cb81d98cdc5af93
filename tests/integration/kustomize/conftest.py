"""Every test here runs kustomize (or kubectl kustomize)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _kustomize(request: pytest.FixtureRequest) -> None:
    """Skip (fail when GUESTBOOK_REQUIRE_SERVERS=1) without kustomize and kubectl."""
    request.getfixturevalue("needs_kustomize")
