"""Fixtures of the custom resource schema tests: tests/fixtures/validate-crds and its Widget CRD."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture(scope="session")
def crd_fixtures(fixtures_dir: Path) -> Path:
    """tests/fixtures/validate-crds: CRD files (good and broken) and real-world manifests."""
    return fixtures_dir / "validate-crds"


@pytest.fixture
def widget_crd(crd_fixtures: Path) -> dict[str, Any]:
    """widget-crd.yaml: kind Widget of example.com, v1 served and stored, v1beta1 not served."""
    return yaml.safe_load((crd_fixtures / "widget-crd.yaml").read_text())
