"""Finding the repository's root (`repo.layout`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.errors import ConfigError
from gitops.repo.layout import find_root


def test_find_root_from_a_subfolder(repo_root: Path) -> None:
    assert find_root(repo_root / "apps" / "guestbook") == repo_root


def test_find_root_outside_a_checkout(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no apps/guestbook/overlays/ found"):
        find_root(tmp_path)
