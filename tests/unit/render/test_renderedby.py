"""Which kustomize renders and which rendered clusters/ (`render.kustomize.tool_version`,
`render.renderedby`, the record `render.sync.write` keeps), with stand-in tools."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gitops.render import renderedby
from gitops.render.kustomize import Kustomize, ToolVersion, find_kustomize, tool_version
from gitops.render.state import Rendered
from gitops.render.sync import changes, write
from gitops.repo.layout import Layout

KUBECTL_JSON = json.dumps(
    {"clientVersion": {"gitVersion": "v1.36.4", "major": "1"}, "kustomizeVersion": "v5.8.1"}
)


def test_the_first_tool_on_path_renders_so_a_sessions_pinned_kubectl_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_tool
) -> None:
    """nox puts the session's bin/ (where the locks install kubectl) first on PATH: a kustomize
    further down PATH (GitHub's runners have one) is not used."""
    session_bin, machine_bin = tmp_path / "venv-bin", tmp_path / "usr-local-bin"
    fake_tool(session_bin, "kubectl")
    fake_tool(machine_bin, "kustomize")
    monkeypatch.setenv("PATH", f"{session_bin}{os.pathsep}{machine_bin}")
    assert find_kustomize().argv == (str(session_bin / "kubectl"), "kustomize")
    monkeypatch.setenv("PATH", f"{machine_bin}{os.pathsep}{session_bin}")
    assert find_kustomize().argv == (str(machine_bin / "kustomize"), "build")


@pytest.mark.parametrize(("program", "output", "expected"), [
    ("kubectl", KUBECTL_JSON, ToolVersion("v5.8.1", "v1.36.4")),
    ("kustomize", "v5.8.1\n", ToolVersion("v5.8.1")),
    ("kustomize", "{Version:kustomize/v4.5.7 GitCommit:56d82a8 BuildDate:2022-08-02}\n",
     ToolVersion("v4.5.7")),
    ("kustomize", "no version here", ToolVersion("unknown")),
    ("kubectl", "Client Version: v1.36.4", ToolVersion("unknown", "unknown")),
])  # fmt: skip
def test_the_version_is_read_from_what_the_tool_prints(
    tmp_path: Path, fake_tool, program: str, output: str, expected: ToolVersion
) -> None:
    tool = fake_tool(tmp_path / "bin", program, output)
    verb = "kustomize" if program == "kubectl" else "build"
    assert tool_version(Kustomize((str(tool), verb))) == expected
    asked = (tmp_path / "bin" / "calls").read_text().split()[1:]
    assert asked == (["version", "--client", "-o", "json"] if program == "kubectl" else ["version"])


def test_a_record_reads_back_and_an_equal_one_is_not_rewritten(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    assert renderedby.read(layout) is None
    version = ToolVersion("v5.8.1", "v1.36.4")
    assert renderedby.record(layout, version) is True
    text = (tmp_path / "clusters" / ".rendered-by").read_text()
    assert text.startswith("# ") and text.endswith("\nkustomize v5.8.1 (kubectl v1.36.4)\n")
    assert renderedby.read(layout) == version
    assert renderedby.record(layout, version) is False
    assert renderedby.record(layout, ToolVersion("v5.8.1")) is True
    assert renderedby.read(layout) == ToolVersion("v5.8.1")


def test_the_note_names_both_versions_only_when_the_kustomize_differs(
    tmp_path: Path, fake_tool
) -> None:
    layout = Layout(tmp_path)
    now = Kustomize((str(fake_tool(tmp_path / "bin", "kubectl", KUBECTL_JSON)), "kustomize"))
    assert renderedby.note(layout, now) is None  # nothing recorded: nothing to say
    renderedby.record(layout, ToolVersion("v5.8.1", "v1.36.2"))
    assert renderedby.note(layout, now) is None  # another kubectl, the same kustomize
    renderedby.record(layout, ToolVersion("v5.5.0", "v1.32.4"))
    assert renderedby.note(layout, now) == (
        "clusters/ was rendered with kustomize v5.5.0 (kubectl v1.32.4); this is kustomize "
        "v5.8.1 (kubectl v1.36.4): differences may come from that (the sessions render with "
        "the kubectl of requirements/pipeline.txt)"
    )


def test_writing_records_the_tool_and_the_check_leaves_the_record_alone(
    tmp_path: Path, fake_tool
) -> None:
    layout = Layout(tmp_path)
    tool = Kustomize((str(fake_tool(tmp_path / "bin", "kubectl", KUBECTL_JSON)), "kustomize"))
    rendered = Rendered({"dev": {"app/a.yaml": b"a"}}, kustomize=tool)
    write(layout, rendered)
    assert renderedby.read(layout) == ToolVersion("v5.8.1", "v1.36.4")
    assert changes(layout, rendered) == []  # a file directly in clusters/ is no environment's
    assert changes(layout, Rendered({"dev": {"app/a.yaml": b"a"}}, complete=True)) == []


def test_a_write_that_changes_nothing_records_only_for_a_render_of_everything(
    tmp_path: Path, fake_tool
) -> None:
    """Then the tool renders exactly what clusters/ holds; a partial render that changed nothing
    says nothing about the other environments."""
    layout = Layout(tmp_path)
    files = {"dev": {"app/a.yaml": b"a"}}
    write(layout, Rendered(files))
    assert renderedby.read(layout) is None  # no tool known: nothing recorded
    tool = Kustomize((str(fake_tool(tmp_path / "bin", "kubectl", KUBECTL_JSON)), "kustomize"))
    write(layout, Rendered(files, kustomize=tool))
    assert renderedby.read(layout) is None
    write(layout, Rendered(files, complete=True, kustomize=tool))
    assert renderedby.read(layout) == ToolVersion("v5.8.1", "v1.36.4")
