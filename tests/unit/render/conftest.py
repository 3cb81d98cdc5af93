"""Fixtures of the render tests: stand-ins for kustomize, so that no real one is needed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def fake_tool() -> Callable[..., Path]:
    """fake_tool(folder, name, output=""): an executable `folder/name` that prints `output` and
    appends its command line to `folder/calls`."""

    def make(folder: Path, name: str, output: str = "") -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(
            f"#!/bin/sh\necho \"$0 $*\" >> {folder}/calls\ncat <<'EOF'\n{output}\nEOF\n"
        )
        path.chmod(0o755)
        return path

    return make
