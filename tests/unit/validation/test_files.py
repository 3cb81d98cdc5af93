"""Which files the validator reads (`gitops.validation.files`): PATH mode's arguments, and the
YAML files of a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops.errors import UsageError
from gitops.validation.files import STDIN, collect_files, json_spaces, yaml_files


def test_collect_files(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d/x.yaml").write_text("")
    (tmp_path / "d/y.txt").write_text("")
    (tmp_path / "given.txt").write_text("")
    assert collect_files([tmp_path / "d", tmp_path / "given.txt", tmp_path / "d/x.yaml"]) == [
        tmp_path / "d/x.yaml",
        tmp_path / "given.txt",
    ]
    with pytest.raises(UsageError):
        collect_files([])
    with pytest.raises(UsageError, match="no such file"):
        collect_files([tmp_path / "nope"])


def test_yaml_files_skips_hidden_and_other_files(tmp_path: Path) -> None:
    for name in ("b.yaml", "a/c.yml", ".hidden/d.yaml", "e.txt", ".f.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x: 1\n")
    found = [p.relative_to(tmp_path).as_posix() for p in yaml_files(tmp_path)]
    assert found == ["a/c.yml", "b.yaml"]


def test_collect_files_reads_json_and_stdin(tmp_path: Path) -> None:
    (tmp_path / "j").mkdir()
    (tmp_path / "j/a.json").write_text("{}")
    (tmp_path / "j/b.txt").write_text("")
    assert collect_files([tmp_path / "j", STDIN, STDIN]) == [tmp_path / "j/a.json", STDIN]
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt/b.txt").write_text("")
    with pytest.raises(UsageError, match=r"no \.yaml, \.yml or \.json file in this folder"):
        collect_files([tmp_path / "txt"])


def test_json_spaces_turns_tabs_between_tokens_into_spaces() -> None:
    data = '{\n\t"a":\t"x\\"\ty",\n\t"é": "\\\\\t"\n}'.encode()
    spaced = json_spaces(data)
    assert spaced == '{\n "a": "x\\"\ty",\n "é": "\\\\\t"\n}'.encode()
    assert json_spaces(b'{"a": 1}') == b'{"a": 1}'
