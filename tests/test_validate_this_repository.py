"""This repository passes its own gate: `python -m gitops validate` finds no error (committed
clusters/ equal a fresh render, both environments and bootstrap/ are valid), and the realistic
rule fixture is valid apart from its third-party custom resource."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_helpers import REPO, require_kustomize

from gitops import cli
from gitops.repo.layout import Layout
from gitops.validation.engine import validate_paths
from gitops.validation.model import Facts
from gitops.validation.repository import validate_repository

GOOD = Path(__file__).parent / "fixtures" / "validate-rules" / "good" / "guestbook.yaml"


def test_the_repository_validates_without_error() -> None:
    if not (REPO / "clusters").is_dir():
        pytest.skip("clusters/ does not exist yet: run `nox -s render` first")
    require_kustomize()
    findings = validate_repository(Layout(REPO))
    errors = [f.format() for f in findings if f.severity == "error"]
    assert errors == []


def test_the_gate_exits_0_on_the_repository(monkeypatch, capsys) -> None:
    if not (REPO / "clusters").is_dir():
        pytest.skip("clusters/ does not exist yet: run `nox -s render` first")
    require_kustomize()
    monkeypatch.chdir(REPO)
    assert cli.main(["validate"]) == 0, capsys.readouterr().out


def test_the_realistic_fixture_is_schema_valid() -> None:
    facts = Facts(
        kubernetes_version="1.34", custom_resources=("bitnami.com/v1alpha1/SealedSecret",)
    )
    findings = validate_paths([GOOD], facts)
    assert [f.format() for f in findings if f.rule.startswith(("GB0", "GB1"))] == []
