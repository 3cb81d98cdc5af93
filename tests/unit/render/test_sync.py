"""Comparing a render with clusters/ and writing it (`render.sync`); the rendered files are given,
no kustomize runs."""

from __future__ import annotations

import stat
from pathlib import Path

from gitops.render.state import Rendered
from gitops.render.sync import changes, write
from gitops.repo.layout import Layout


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
    tmp_path: Path, snapshot
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
    assert write(layout, complete) == []  # removing an environment needs prune
    assert (tmp_path / "clusters" / "qa" / "app" / "b.yaml").exists()
    assert [c.orphaned for c in write(layout, complete, prune=True)] == [True]
    assert not (tmp_path / "clusters" / "qa").exists()
    assert (tmp_path / "clusters" / "README").exists()  # only environment folders are render's


def test_written_files_keep_the_usual_permissions(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    write(layout, Rendered({"dev": {"app/a.yaml": b"a"}}))
    mode = stat.S_IMODE((tmp_path / "clusters/dev/app/a.yaml").stat().st_mode)
    assert mode == 0o644
