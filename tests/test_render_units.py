"""Render's pieces that need no kustomize: file layout, YAML form, layers, writing, tool lookup."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml
from render_helpers import REPO, copy_repo, snapshot

from gitops.cli import main
from gitops.errors import ConfigError, ToolMissing
from gitops.render.kustomize import find_kustomize
from gitops.render.objects import dump_object, file_name, parse_objects
from gitops.render.state import Rendered
from gitops.render.sync import changes, write
from gitops.repo.layers import load_layers
from gitops.repo.layout import Layout

DEPLOYMENT = {
    "spec": {
        "template": {
            "spec": {
                "containers": [
                    {
                        "image": "x:1",
                        "name": "web",
                        "args": ["a"],
                        "env": [{"value": "1", "name": "A"}],
                    }
                ]
            }
        },
        "replicas": 1,
    },
    "metadata": {"labels": {"b": "2", "a": "1"}, "namespace": "ns", "name": "web"},
    "kind": "Deployment",
    "apiVersion": "apps/v1",
}


# ---- the form of each file


def test_keys_come_in_the_order_people_read_them() -> None:
    text = dump_object(DEPLOYMENT)
    top = [line.split(":")[0] for line in text.splitlines() if not line.startswith(" ")]
    assert top == ["apiVersion", "kind", "metadata", "spec"]
    assert text.index("name: web") < text.index("namespace: ns") < text.index("labels:")
    container = text[text.index("containers:") :]
    assert container.index("- name: web") < container.index("args:") < container.index("image:")
    assert "- name: A\n" in text  # list items lead with their name, lists keep their order


def test_dump_is_yaml_that_means_the_same_object() -> None:
    tricky = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {
            "date": "2024-01-01",
            "no": "no",
            "octal": "0755",
            "empty": "",
            "script": "line one\nline two\n",
            "unicode": "café",
            "long": "x" * 300,
        },
    }
    text = dump_object(tricky)
    assert yaml.safe_load(text) == tricky
    assert "script: |\n" in text  # multi-line strings as literal blocks, readable in diffs
    assert "x" * 300 in text  # never folded
    assert parse_objects(text, "here") == [tricky]  # dates stay strings on the way in too


def test_file_names_are_kind_and_name_in_lower_case() -> None:
    assert file_name(DEPLOYMENT) == "deployment-web.yaml"
    role = {"kind": "ClusterRole", "metadata": {"name": "system:Guestbook"}}
    assert file_name(role) == "clusterrole-system-guestbook.yaml"


@pytest.mark.parametrize(
    "stream",
    ["kind: ConfigMap\nmetadata: {name: a}\n", "apiVersion: v1\nkind: ConfigMap\n", "- 1\n"],
)
def test_a_document_that_is_not_an_object_is_refused(stream: str) -> None:
    with pytest.raises(ConfigError, match=r"no apiVersion, kind or metadata\.name") as caught:
        parse_objects("apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\n" + stream, "ov")
    assert "object 2" in caught.value.message
    assert caught.value.path == Path("ov")


# ---- layers


def test_the_repository_layers_put_the_database_before_the_app() -> None:
    layers = load_layers(Layout(REPO).layers_file, "layers.yaml")
    assert layers.names == ("data", "app")
    labelled = {"metadata": {"labels": {"app.kubernetes.io/component": "postgres"}}}
    assert layers.layer_of(labelled) == "data"
    assert layers.layer_of({"metadata": {"labels": {"app.kubernetes.io/component": "x"}}}) == "app"
    assert layers.layer_of({"metadata": {"name": "unlabelled"}}) == layers.default == "app"


def test_without_a_layers_file_objects_go_straight_into_the_environment_folder(
    tmp_path: Path,
) -> None:
    layout = copy_repo(tmp_path)
    layout.layers_file.unlink()
    layers = load_layers(layout.layers_file, "layers.yaml")
    assert layers.names == () and layers.layer_of(DEPLOYMENT) == ""
    stream = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n"
    tool = _fake_tool(tmp_path / "bin", "kustomize", stream)
    from gitops.render.kustomize import Kustomize
    from gitops.render.state import render_environment

    files = render_environment(layout, "dev", Kustomize((str(tool), "build")))
    assert list(files) == ["namespace-n.yaml"]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("default: app\nlayers:\n  app: [web]\n  data: [web]\n", "component 'web' is in", 4),
        ("default: nope\nlayers:\n  app: [web]\n", "`default` must name one of the layers", 1),
        ("default: app\nlayers:\n  App: [web]\n", "must be a folder name", 3),
        ("default: app\nlayers:\n  app: web\n", "must list component names", 3),
        ("default: app\nlayer:\n  app: [web]\n", "unknown key 'layer'", 2),
        ("default: app\nlayers: {app: [web]\n", "not valid YAML", 3),
    ],
)
def test_a_wrong_layers_file_names_file_and_line(
    tmp_path: Path, text: str, message: str, line: int
) -> None:
    path = tmp_path / "layers.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_layers(path, "apps/guestbook/layers.yaml")
    assert message in caught.value.message
    assert (caught.value.path, caught.value.line) == (Path("apps/guestbook/layers.yaml"), line)


# ---- comparing and writing (no kustomize: the rendered files are given)


def _layout_with(tmp_path: Path, files: dict[str, str]) -> Layout:
    for relative, text in files.items():
        path = tmp_path / "clusters" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Layout(tmp_path)


def test_changes_are_added_changed_and_removed_files(tmp_path: Path) -> None:
    layout = _layout_with(
        tmp_path,
        {"dev/app/same.yaml": "same", "dev/app/old.yaml": "old", "dev/data/edit.yaml": "before"},
    )
    rendered = Rendered(
        {"dev": {"app/same.yaml": b"same", "data/edit.yaml": b"after", "app/new.yaml": b"n"}}
    )
    found = {(c.status, c.path.relative_to(tmp_path).as_posix()) for c in changes(layout, rendered)}
    assert found == {
        ("added", "clusters/dev/app/new.yaml"),
        ("changed", "clusters/dev/data/edit.yaml"),
        ("removed", "clusters/dev/app/old.yaml"),
    }


def test_writing_makes_clusters_equal_to_the_render_and_removes_emptied_folders(
    tmp_path: Path,
) -> None:
    layout = _layout_with(
        tmp_path, {"dev/old/gone.yaml": "x", "dev/app/keep.yaml": "k", "prod/app/p.yaml": "p"}
    )
    rendered = Rendered({"dev": {"app/keep.yaml": b"k", "data/new.yaml": b"n"}})
    written = write(layout, rendered)
    assert sorted(c.path.relative_to(tmp_path).as_posix() for c in written) == [
        "clusters/dev/data/new.yaml",
        "clusters/dev/old/gone.yaml",
    ]
    assert snapshot(tmp_path / "clusters" / "dev") == {"app/keep.yaml": b"k", "data/new.yaml": b"n"}
    assert not (tmp_path / "clusters" / "dev" / "old").exists()
    assert (tmp_path / "clusters" / "prod" / "app" / "p.yaml").read_text() == "p"  # not rendered
    assert changes(layout, rendered) == []
    assert write(layout, rendered) == []


def test_a_complete_render_removes_environments_that_no_longer_exist(tmp_path: Path) -> None:
    layout = _layout_with(tmp_path, {"dev/app/a.yaml": "a", "qa/app/b.yaml": "b", "README": "r"})
    partial = Rendered({"dev": {"app/a.yaml": b"a"}})
    assert changes(layout, partial) == []
    complete = Rendered({"dev": {"app/a.yaml": b"a"}}, complete=True)
    assert [c.status for c in changes(layout, complete)] == ["removed"]
    write(layout, complete)
    assert not (tmp_path / "clusters" / "qa").exists()
    assert (tmp_path / "clusters" / "README").exists()  # only environment folders are render's


def test_written_files_keep_the_usual_permissions(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    write(layout, Rendered({"dev": {"app/a.yaml": b"a"}}))
    mode = stat.S_IMODE((tmp_path / "clusters/dev/app/a.yaml").stat().st_mode)
    assert mode == 0o644


# ---- finding kustomize


def _fake_tool(folder: Path, name: str, output: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {folder}/calls\ncat <<'EOF'\n{output}\nEOF\n")
    path.chmod(0o755)
    return path


def test_without_kustomize_and_kubectl_the_error_says_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ToolMissing) as caught:
        find_kustomize()
    message = caught.value.message
    assert "neither kustomize nor kubectl" in message
    assert "https://kubectl.docs.kubernetes.io/installation/kustomize/" in message
    assert "https://kubernetes.io/docs/tasks/tools/" in message


def test_the_command_exits_2_with_that_error_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout = copy_repo(tmp_path)
    before = snapshot(layout.clusters_dir)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["render"]) == 2
    assert "error: neither kustomize nor kubectl" in capsys.readouterr().err
    assert snapshot(layout.clusters_dir) == before


def test_a_kustomize_binary_is_preferred_to_kubectl(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    stream = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-kustomize\n"
    _fake_tool(bin_dir, "kubectl", "apiVersion: v1\nkind: Namespace\nmetadata: {name: kubectl}")
    _fake_tool(bin_dir, "kustomize", stream)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    tool = find_kustomize()
    assert tool.name == "kustomize build"
    assert "name: from-kustomize" in tool.build(tmp_path, "overlay")
    (bin_dir / "kustomize").unlink()
    assert find_kustomize().name == "kubectl kustomize"


def test_a_failing_build_names_the_overlay_and_says_why(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    failing = bin_dir / "kustomize"
    failing.write_text(
        "#!/bin/sh\necho 'Error: accumulating resources: missing.yaml' >&2\nexit 1\n"
    )
    failing.chmod(0o755)
    from gitops.render.kustomize import Kustomize

    with pytest.raises(ConfigError) as caught:
        Kustomize((str(failing), "build")).build(tmp_path, "apps/guestbook/overlays/prod")
    assert caught.value.path == Path("apps/guestbook/overlays/prod")
    assert caught.value.message == "kustomize build failed: accumulating resources: missing.yaml"


def test_two_objects_for_one_file_are_refused(tmp_path: Path) -> None:
    """Same kind and name in two namespaces (or API groups) would share a file name."""
    layout = copy_repo(tmp_path)
    service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: {}\n"
    tool = _fake_tool(
        tmp_path / "bin", "kustomize", service.format("a") + "---\n" + service.format("b")
    )
    from gitops.render.kustomize import Kustomize
    from gitops.render.state import render_environment

    with pytest.raises(ConfigError) as caught:
        render_environment(layout, "dev", Kustomize((str(tool), "build")))
    assert caught.value.message == (
        "Service/a/web and Service/b/web would both be written to "
        "clusters/dev/app/service-web.yaml; rename one of them"
    )
    assert caught.value.path == Path("apps/guestbook/overlays/dev")
