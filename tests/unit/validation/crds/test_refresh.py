"""`python -m gitops.validation.crds.refresh` rewrites the data folder at once, or not at all."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from gitops.validation.crds import refresh
from gitops.validation.crds.store import Catalog

VENDORED = Path(refresh.__file__).parent / "vendored"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "vendored"
    shutil.copytree(VENDORED, target)
    return target


def run(data_dir: Path, *args: str) -> int:
    return refresh.main([*args, "--data-dir", str(data_dir)])


def test_refresh_from_a_local_file_adds_the_kind_and_keeps_the_others(
    data_dir, capsys, crd_fixtures
):
    code = run(
        data_dir,
        "--from",
        str(crd_fixtures / "widget-crd.yaml"),
        "--repository",
        "example/widgets",
        "--commit",
        "0" * 40,
    )
    assert code == 0
    assert "added     example.com/Widget [v1*, v1beta1 (not served)]" in capsys.readouterr().out
    catalog = Catalog(data_dir)
    assert {k.kind for k in catalog.all_kinds()} >= {"Widget", "Application"}
    source = yaml.safe_load((data_dir / "SOURCES.yaml").read_text())["kinds"]["example.com/Widget"]
    assert source["source"]["repository"] == "example/widgets"
    assert source["versions"]["v1beta1"] == {"served": False, "storage": False}
    assert json.loads((data_dir / "index.json").read_text())["kinds"]


def test_refresh_reports_unchanged_and_changed(data_dir, capsys, crd_fixtures):
    run(data_dir, "--from", str(crd_fixtures / "widget-crd.yaml"))
    run(data_dir, "--from", str(crd_fixtures / "widget-crd.yaml"))
    assert "unchanged example.com/Widget" in capsys.readouterr().out
    run(data_dir, "--from", str(crd_fixtures / "widget-crd-v2.yaml"))
    out = capsys.readouterr().out
    assert "changed   example.com/Widget" in out and "+1 -0 fields (+spec.color)" in out


@pytest.mark.parametrize("bad", ["bad-no-schema.yaml", "bad-yaml.yaml", "missing.yaml"])
def test_a_bad_input_leaves_the_data_as_it_was(data_dir, capsys, bad, crd_fixtures, snapshot):
    before = snapshot(data_dir)
    code = run(data_dir, "--from", str(crd_fixtures / "widget-crd.yaml"), str(crd_fixtures / bad))
    assert code == 2
    err = capsys.readouterr().err
    assert bad in err and "nothing was written" in err
    assert snapshot(data_dir) == before
    assert not list(data_dir.parent.glob(".vendored.*"))


def test_a_file_without_crds_is_an_error(data_dir, tmp_path, capsys):
    plain = tmp_path / "cm.yaml"
    plain.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert run(data_dir, "--from", str(plain)) == 2
    assert "no apiextensions.k8s.io/v1 CustomResourceDefinition" in capsys.readouterr().err


def test_release_names_come_from_sources(data_dir, capsys):
    assert run(data_dir, "--release", "nosuch=v1") == 2
    assert "argo-cd" in capsys.readouterr().err
    inputs = refresh.release_locations(Catalog(data_dir).sources, "argo-cd=v9.9.9")
    assert inputs[0][0] == (
        "https://raw.githubusercontent.com/argoproj/argo-cd/v9.9.9/manifests/crds/application-crd.yaml"
    )
    assert inputs[0][1]["release"] == "v9.9.9"


UPSTREAM = Path(refresh.__file__).parent / "upstream"


def test_vendored_data_is_what_refresh_makes_of_the_upstream_copies(
    data_dir, monkeypatch, snapshot, repo_root
):
    """The shipped data was produced by `refresh`, and re-running it changes no byte."""
    monkeypatch.chdir(repo_root)  # locations are recorded relative to it
    assert run(data_dir, "--from", str(UPSTREAM), "--prune") == 0
    assert snapshot(data_dir) == snapshot(VENDORED)
    assert run(data_dir, "--from", str(UPSTREAM), "--prune") == 0
    assert snapshot(data_dir) == snapshot(VENDORED)


def test_provenance_comes_from_annotations_and_the_command_line_overrides_it(data_dir, widget_crd):
    crd = widget_crd
    crd["metadata"]["annotations"] = {
        "vendored.gitops/repository": "example/widgets",
        "vendored.gitops/commit": "1" * 40,
        "vendored.gitops/release": "v1.2.3",
        "vendored.gitops/retrieved": "2026-01-02",
    }
    source = data_dir.parent / "widget.yaml"
    source.write_text(yaml.safe_dump(crd))
    assert run(data_dir, "--from", str(source), "--release-label", "v9") == 0
    record = yaml.safe_load((data_dir / "SOURCES.yaml").read_text())["kinds"]["example.com/Widget"]
    assert record["source"]["repository"] == "example/widgets"
    assert record["source"]["commit"] == "1" * 40
    assert record["source"]["release"] == "v9"
    assert record["source"]["retrieved"] == "2026-01-02"
    assert len(record["source"]["sha256"]) == len(record["source"]["schemaSha256"]) == 64


def test_an_unchanged_input_keeps_its_retrieval_date(data_dir, crd_fixtures):
    widget = str(crd_fixtures / "widget-crd.yaml")
    assert run(data_dir, "--from", widget, "--retrieved", "2020-01-01") == 0
    assert run(data_dir, "--from", widget) == 0
    record = yaml.safe_load((data_dir / "SOURCES.yaml").read_text())["kinds"]["example.com/Widget"]
    assert record["source"]["retrieved"] == "2020-01-01"


def test_kubectl_list_output_and_other_objects_are_handled(data_dir, tmp_path, capsys, widget_crd):
    """`kubectl get crd A B -o yaml` gives a List; `flux install --export` mixes in Deployments."""
    crd = widget_crd
    listing = tmp_path / "kubectl.yaml"
    listing.write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [crd]})
        + "---\n"
        + yaml.safe_dump({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}})
    )
    assert run(data_dir, "--from", str(listing)) == 0
    assert "added     example.com/Widget" in capsys.readouterr().out


def test_prune_drops_kinds_no_input_defines(data_dir, capsys, crd_fixtures):
    assert run(data_dir, "--from", str(crd_fixtures / "widget-crd.yaml"), "--prune") == 0
    out = capsys.readouterr().out
    assert "removed   argoproj.io/Application" in out
    assert [k.kind for k in Catalog(data_dir).all_kinds()] == ["Widget"]
    assert list(yaml.safe_load((data_dir / "SOURCES.yaml").read_text())["kinds"]) == [
        "example.com/Widget"
    ]


@pytest.mark.parametrize("args", [["--retrieved", "25/11/2026"], []])
def test_bad_options_are_usage_errors(data_dir, capsys, args, crd_fixtures, snapshot):
    before = snapshot(data_dir)
    widget = ["--from", str(crd_fixtures / "widget-crd.yaml")] if args else []
    assert run(data_dir, *widget, *args) == 2
    assert "nothing was written" in capsys.readouterr().err
    assert snapshot(data_dir) == before


def test_a_folder_without_yaml_is_an_error(data_dir, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(data_dir, "--from", str(empty)) == 2
    assert "no .yaml file in this folder" in capsys.readouterr().err


def test_help_tells_a_fork_how_to_refresh_for_its_controllers(capsys):
    with pytest.raises(SystemExit) as exit_info:
        refresh.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for needle in ("kubectl get crd", "flux install --export", "--release", "--from", "--prune"):
        assert needle in text
