"""`python -m gitops.validation.crds.refresh` rewrites the data folder at once, or not at all."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from gitops.errors import ConfigError
from gitops.validation.crds import refresh, releases
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


def test_an_unknown_upstream_is_a_usage_error(data_dir, capsys):
    assert run(data_dir, "--release", "nosuch=v1") == 2
    err = capsys.readouterr().err
    assert "no upstream 'nosuch'" in err and "argo-cd" in err and "nothing was written" in err


class FakeTree:
    """A release as `releases.GitTree`/`GitHubTree` serve it: a commit and files."""

    def __init__(self, files: dict[str, bytes], commit: str = "c" * 40) -> None:
        self.repository, self.ref, self.commit, self._files = "example/widgets", "", commit, files

    def files(self) -> list[str]:
        return sorted(self._files)

    def read(self, path: str) -> bytes:
        return self._files[path]


def test_release_inputs_expand_patterns_and_record_permalinks(crd_fixtures):
    widget = (crd_fixtures / "widget-crd.yaml").read_bytes()
    tree = FakeTree({"crds/widgets.yaml": widget, "crds/kustomization.yaml": b"resources: []\n"})
    asked = []

    def tree_for(repository, ref):
        asked.append((repository, ref))
        return tree

    sources = {
        "upstreams": {
            "widgets": {
                "repository": "example/widgets",
                "ref": "release-{tag}",
                "paths": ["crds/*.yaml"],
                "release": "Widgets {tag}",
                "tag": "v1.0.0",
            }
        }
    }
    inputs, pin = refresh.release_inputs(sources, "widgets", tree_for)
    assert asked == [("example/widgets", "release-v1.0.0")]  # the pinned tag, through `ref`
    assert pin == refresh.Pin("widgets", "v1.0.0", "c" * 40)
    assert [i.given["path"] for i in inputs] == ["crds/kustomization.yaml", "crds/widgets.yaml"]
    assert all(i.optional for i in inputs)  # a pattern: a file without CRDs is skipped
    first = inputs[1]
    assert first.location == f"https://github.com/example/widgets/blob/{'c' * 40}/crds/widgets.yaml"
    assert first.given["release"] == "Widgets v1.0.0" and first.given["upstream"] == "widgets"
    assert first.read() == widget
    inputs, pin = refresh.release_inputs(sources, "widgets=v2.0.0", tree_for)
    assert pin.tag == "v2.0.0" and asked[-1] == ("example/widgets", "release-v2.0.0")


def test_a_pattern_that_matches_nothing_is_an_error():
    sources = {"upstreams": {"w": {"repository": "example/w", "paths": ["crds/*.yml"]}}}
    with pytest.raises(ConfigError, match=r"no file at v1 matches crds/\*\.yml"):
        refresh.release_inputs(sources, "w=v1", lambda repo, ref: FakeTree({"crds/a.yaml": b""}))


def test_patterns_stay_within_one_folder():
    tree = FakeTree({"a/x.yaml": b"", "a/b/y.yaml": b"", "a/b/c/z.yaml": b""})
    assert releases.select(tree, "a/*.yaml") == ["a/x.yaml"]
    assert releases.select(tree, "a/*/*.yaml") == ["a/b/y.yaml"]
    assert releases.select(tree, "a/exact.yaml") == ["a/exact.yaml"]  # taken as given


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def widgets_repo(tmp_path, crd_fixtures) -> Path:
    """A git repository like an upstream's: v1 has the Widget CRD (standard) and an experimental
    copy that serves one more version; v2 drops the Widget for a Gadget."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    repo = tmp_path / "widgets"
    (repo / "crds" / "standard").mkdir(parents=True)
    (repo / "crds" / "experimental").mkdir(parents=True)
    crd = yaml.safe_load((crd_fixtures / "widget-crd.yaml").read_text())
    (repo / "crds" / "standard" / "widgets.yaml").write_text(yaml.safe_dump(crd))
    crd["spec"]["versions"][1]["served"] = True  # v1beta1: only the experimental channel serves it
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][
        "experimental"
    ] = {"type": "string"}
    (repo / "crds" / "experimental" / "widgets.yaml").write_text(yaml.safe_dump(crd))
    (repo / "crds" / "experimental" / "kustomization.yaml").write_text("resources: []\n")
    env = ("-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false")
    _git(tmp_path, "init", "-q", str(repo))
    _git(repo, "add", ".")
    _git(repo, *env, "commit", "-qm", "v1")
    _git(repo, *env, "tag", "v1.0.0")
    gadget = copy.deepcopy(crd)
    gadget["metadata"]["name"] = "gadgets.example.com"
    gadget["spec"]["names"] = {"kind": "Gadget", "plural": "gadgets", "singular": "gadget"}
    (repo / "crds" / "standard" / "widgets.yaml").write_text(yaml.safe_dump(gadget))
    (repo / "crds" / "experimental" / "widgets.yaml").unlink()
    _git(repo, "add", "-A")
    _git(repo, *env, "commit", "-qm", "v2")
    _git(repo, *env, "tag", "v2.0.0")
    return repo


def _add_upstream(data_dir: Path) -> None:
    path = data_dir / "SOURCES.yaml"
    sources = yaml.safe_load(path.read_text())
    sources["upstreams"]["widgets"] = {
        "repository": "example/widgets",
        "paths": ["crds/standard/*.yaml"],
        "fill": ["crds/experimental/*.yaml"],
        "release": "Widgets {tag}",
    }
    path.write_text(yaml.safe_dump(sources, sort_keys=False))


@pytest.mark.git
def test_a_release_is_read_from_a_clone_with_its_commit(data_dir, widgets_repo, capsys, snapshot):
    _add_upstream(data_dir)
    clone = str(widgets_repo)
    assert run(data_dir, "--release", "widgets=v1.0.0", "--git", f"widgets={clone}") == 0
    assert "added     example.com/Widget [v1*, v1beta1]" in capsys.readouterr().out
    commit = _git(widgets_repo, "rev-parse", "v1.0.0^{commit}")
    sources = yaml.safe_load((data_dir / "SOURCES.yaml").read_text())
    assert sources["upstreams"]["widgets"]["tag"] == "v1.0.0"
    assert sources["upstreams"]["widgets"]["commit"] == commit
    record = sources["kinds"]["example.com/Widget"]
    path = "crds/standard/widgets.yaml"
    assert record["source"]["commit"] == commit and record["source"]["path"] == path
    assert (
        record["source"]["location"] == f"https://github.com/example/widgets/blob/{commit}/{path}"
    )
    assert record["source"]["release"] == "Widgets v1.0.0"
    (also,) = record["also"]  # v1beta1 comes from the experimental file
    assert also["path"] == "crds/experimental/widgets.yaml" and also["versions"] == ["v1beta1"]
    assert record["versions"]["v1beta1"] == {"served": True, "storage": False}
    widget = Catalog(data_dir).kind("example.com", "Widget")
    v1 = widget.versions[0].schema["properties"]["spec"]["properties"]
    assert "experimental" not in v1  # a version both serve keeps the standard schema
    before = snapshot(data_dir)
    assert run(data_dir, "--release", "widgets", "--git", f"widgets={clone}") == 0  # pinned tag
    assert snapshot(data_dir) == before  # byte for byte


@pytest.mark.git
def test_a_kind_the_new_release_drops_leaves_the_catalog(data_dir, widgets_repo, capsys):
    _add_upstream(data_dir)
    clone = f"widgets={widgets_repo}"
    assert run(data_dir, "--release", "widgets=v1.0.0", "--git", clone) == 0
    capsys.readouterr()
    assert run(data_dir, "--release", "widgets=v2.0.0", "--git", clone) == 0
    out = capsys.readouterr().out
    assert "added     example.com/Gadget" in out and "removed   example.com/Widget" in out
    kinds = {(k.group, k.kind) for k in Catalog(data_dir).all_kinds()}
    assert ("example.com", "Gadget") in kinds and ("argoproj.io", "Application") in kinds


@pytest.mark.git
def test_clones_are_found_in_a_folder_by_repository(data_dir, widgets_repo, tmp_path):
    _add_upstream(data_dir)
    clones = tmp_path / "clones"
    (clones / "example").mkdir(parents=True)
    (clones / "example" / "widgets").symlink_to(widgets_repo)
    assert releases.find_clone(clones, "example/widgets") == clones / "example/widgets/.git"
    assert releases.find_clone(clones, "example/other") is None
    assert run(data_dir, "--release", "widgets=v1.0.0", "--clones", str(clones)) == 0
    assert Catalog(data_dir).kind("example.com", "Widget") is not None


@pytest.mark.git
def test_a_tag_the_clone_lacks_leaves_the_data_as_it_was(data_dir, widgets_repo, capsys, snapshot):
    _add_upstream(data_dir)
    before = snapshot(data_dir)
    assert run(data_dir, "--release", "widgets=v9", "--git", f"widgets={widgets_repo}") == 2
    err = capsys.readouterr().err
    assert "v9^{commit}" in err and "nothing was written" in err
    assert snapshot(data_dir) == before


def test_the_catalog_is_what_refresh_makes_of_the_pinned_releases(data_dir, snapshot):
    """Re-reading every upstream at its pinned tag changes no byte. Needs the upstream clones:
    GITOPS_CRD_CLONES=DIR, a folder with one clone of each repository (see `--clones`)."""
    clones = os.environ.get("GITOPS_CRD_CLONES")
    if not clones:
        pytest.skip("set GITOPS_CRD_CLONES to a folder of the upstream clones")
    assert run(data_dir, "--all", "--clones", clones, "--prune") == 0
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
