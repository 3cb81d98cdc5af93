"""This repository passes its own gate: `python -m gitops validate` finds no error (committed
clusters/ equal a fresh render, both environments and bootstrap/ are valid). Needs kustomize or
kubectl."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gitops import cli
from gitops.repo.environments import load_environments
from gitops.repo.layout import Layout
from gitops.validation.registry import all_rules
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


def test_the_summary_line_names_environments_objects_files_and_versions(
    rendered: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(rendered)
    capsys.readouterr()
    cli.main(["validate"])
    out, err = capsys.readouterr()
    assert out == ""  # stdout: findings only
    versions = sorted(
        {env.kubernetes_version for env in load_environments(Layout(rendered))},
        key=lambda v: tuple(map(int, v.split("."))),
    )
    pattern = (
        rf"validate: {len(load_environments(Layout(rendered)))} environments, \d+ objects in \d+ "
        rf"files \(Kubernetes {re.escape(', '.join(versions))}\): no findings, \d+\.\d\d s\n"
    )
    assert re.fullmatch(pattern, err), err


def test_the_gate_keeps_every_rule_on_at_its_registered_severity(
    repo_root: Path, monkeypatch, capsys
) -> None:
    """What `nox -s validate` runs here: every rule, none re-graded, no configuration read."""
    monkeypatch.chdir(repo_root)
    capsys.readouterr()
    assert cli.main(["validate", "--show-settings"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# validate: repository mode")
    assert "[tool.gitops.validate] is not read in repository mode" in out
    shown = {line.split()[0]: line.split()[1] for line in out.splitlines() if line[:2] == "GB"}
    assert shown == {rid: rule.severity for rid, rule in all_rules().items()}
    for flag in ("--select=GB1", "--ignore=GB4", "--warn=GB4", "--config=pyproject.toml"):
        assert cli.main(["validate", flag]) == 2
        assert "applies to PATH mode only" in capsys.readouterr().err


def test_no_configuration_weakens_the_gate(tmp_path: Path, copy_repo, monkeypatch, capsys) -> None:
    """A pyproject.toml that turns every rule off, or makes every finding a warning, changes
    nothing in repository mode: a pod running as root still fails the gate."""
    layout = copy_repo(tmp_path)
    web = layout.root / "apps/guestbook/base/web.yaml"
    web.write_text(web.read_text().replace("runAsNonRoot: true", "runAsNonRoot: false", 1))
    (layout.root / "pyproject.toml").write_text(
        '[tool.gitops.validate]\nignore = ["ALL"]\n\n[tool.gitops.validate.severity]\n'
        'GB = "warning"\n\n[tool.gitops.validate.per-file-ignores]\n"**" = ["ALL"]\n'
    )
    monkeypatch.chdir(layout.root)
    capsys.readouterr()
    assert cli.main(["validate"]) == 1
    out = capsys.readouterr().out
    assert re.search(
        r"^apps/guestbook/base/web\.yaml:\d+: error GB401 Deployment/\S+: runAsNonRoot is false",
        out,
        re.MULTILINE,
    ), out


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
