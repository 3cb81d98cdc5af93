"""This repository passes its own gate: `python -m gitops validate` finds no error (committed
clusters/ equal a fresh render, both environments and bootstrap/ are valid). Needs kustomize or
kubectl."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops import cli
from gitops.repo.layout import Layout
from gitops.validation.repository import validate_repository

pytestmark = pytest.mark.usefixtures("needs_kustomize")


@pytest.fixture
def rendered(repo_root: Path) -> Path:
    """The repository, with clusters/ rendered (skipped before the first `nox -s render`)."""
    if not (repo_root / "clusters").is_dir():
        pytest.skip("clusters/ does not exist yet: run `nox -s render` first")
    return repo_root


def test_the_repository_validates_without_error(rendered: Path) -> None:
    findings = validate_repository(Layout(rendered))
    errors = [f.format() for f in findings if f.severity == "error"]
    assert errors == []


def test_the_gate_exits_0_on_the_repository(rendered: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(rendered)
    assert cli.main(["validate"]) == 0, capsys.readouterr().out


def test_the_crds_cel_rules_run_on_the_repository_and_hold(rendered: Path) -> None:
    """The Gateway, HTTPRoutes, HelmReleases and Flux sources of both environments are checked
    against their CRDs' CEL rules (GB105): every rule evaluated, none false, none failing to run."""
    from gitops.validation import cel

    cel.reset()
    findings = validate_repository(Layout(rendered))
    assert [f.format() for f in findings if f.rule == cel.RULE_ID] == []
    kinds = {label.split()[0] for label, _ in cel.STATS.kinds}
    assert {"HTTPRoute", "Gateway", "HelmRelease", "GitRepository"} <= kinds
    assert cel.STATS.evaluations > 100
    assert cel.STATS.unevaluated == {}
