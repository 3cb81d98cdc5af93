"""What render, `render --check` and validate say about files and folders of clusters/ that the
render does not produce, and about an environment that is gone: one check, one verdict."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops.cli import main
from gitops.repo.layout import Layout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy_repo) -> Layout:
    layout = copy_repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    return layout


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("stray", [".keep", "README.md", "app/notes.txt", "data/.hidden.yaml"])
def test_a_stray_file_is_stale_for_check_validate_and_render_alike(
    repo: Layout, capsys, stray: str
) -> None:
    path = repo.cluster_dir("dev") / stray
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    shown = f"clusters/dev/{stray}"

    code, out, _ = run(capsys, "render", "--check")
    assert (code, out.splitlines()) == (1, [f"removed: {shown}"])

    code, out, _ = run(capsys, "validate")
    gb501 = [line for line in out.splitlines() if " GB501 " in line]
    assert code == 1
    assert gb501 == [
        f"{shown}:1: error GB501 -: the render no longer produces this file; run "
        "`nox -s render` and commit the result (it deletes it)"
    ]

    code, out, _ = run(capsys, "render")
    assert (code, out.splitlines()) == (0, [f"removed: {shown}"])
    assert not path.exists()
    assert run(capsys, "render", "--check")[0] == 0


def test_files_directly_in_clusters_belong_to_no_environment_and_stay(repo: Layout, capsys) -> None:
    (repo.clusters_dir / "README.md").write_text("what this folder is\n")
    assert run(capsys, "render", "--check")[0] == 0
    assert run(capsys, "validate")[0] == 0
    assert run(capsys, "render")[0] == 0
    assert (repo.clusters_dir / "README.md").exists()


def test_missing_facts_are_refused_and_nothing_is_written(repo: Layout, capsys, snapshot) -> None:
    before = snapshot(repo.clusters_dir)
    repo.facts_file("prod").unlink()
    for command in (["render"], ["render", "--check"], ["validate"]):
        code, out, err = run(capsys, *command)
        assert code == 2, command
        assert out == ""
        assert err.startswith(
            "error: apps/environments/prod/ has no environment.yaml, and every folder of "
            "apps/environments/ is an environment"
        )
        assert len(err.strip().splitlines()) == 1
    assert snapshot(repo.clusters_dir) == before


def test_facts_that_do_not_parse_are_refused_and_nothing_is_written(
    repo: Layout, capsys, snapshot
) -> None:
    before = snapshot(repo.clusters_dir)
    repo.facts_file("prod").write_text("kubernetesVersion: [\n")
    code, out, err = run(capsys, "render")
    assert (code, out) == (2, "")
    assert err.startswith("error: apps/environments/prod/environment.yaml:")
    assert snapshot(repo.clusters_dir) == before


def test_removing_an_environment_takes_prune(repo: Layout, capsys, snapshot) -> None:
    before = snapshot(repo.clusters_dir)
    shutil.rmtree(repo.environment_dir("prod"))
    for app in repo.app_names():
        shutil.rmtree(repo.overlay_dir(app, "prod"))
    code, out, err = run(capsys, "render")
    assert (code, out) == (2, "")
    assert "clusters/prod/ belong(s) to no environment" in err
    assert "nox -s render -- --prune" in err
    assert snapshot(repo.clusters_dir) == before

    code, out, _ = run(capsys, "validate")
    assert code == 1
    assert "there is no environment 'prod'" in out

    files = len([name for name in before if name.startswith("prod/")])
    code, out, err = run(capsys, "render", "--prune")
    assert code == 0, err
    assert f"removed environment prod ({files} files)" in err
    assert not repo.cluster_dir("prod").exists()
    assert run(capsys, "render", "--check")[0] == 0


def test_an_overlay_left_behind_by_a_removed_environment_is_refused(
    repo: Layout, capsys, snapshot
) -> None:
    """Removing an environment's facts but not every app's overlay for it is a half-done removal:
    refused (exit 2) by render and validate alike, naming the overlay, and nothing is written."""
    before = snapshot(repo.clusters_dir)
    shutil.rmtree(repo.environment_dir("prod"))
    shutil.rmtree(repo.overlay_dir("guestbook", "prod"))
    for command in (["render"], ["render", "--prune"], ["validate"]):
        code, out, err = run(capsys, *command)
        assert (code, out) == (2, ""), command
        assert err.startswith(
            "error: apps/infrastructure/overlays/prod/ is the overlay of an environment that "
            "does not exist (no apps/environments/prod/environment.yaml)"
        )
    assert snapshot(repo.clusters_dir) == before


def test_prune_goes_with_a_render_of_every_environment(repo: Layout, capsys) -> None:
    code, _, err = run(capsys, "render", "dev", "--prune")
    assert code == 2
    assert "--prune goes with a render of every environment" in err
