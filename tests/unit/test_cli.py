"""The command line as a user meets it: help, unknown commands, error printing and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gitops import cli
from gitops.errors import ConfigError


@pytest.fixture
def run(tmp_path: Path):
    """run(*args): `python -m gitops ARGS` as a process, in an empty folder (what these tests run
    needs no repository)."""

    def process(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gitops", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )

    return process


def test_help_lists_every_command(run) -> None:
    result = run("--help")
    assert result.returncode == 0
    for name in cli.COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_command_has_help(name: str, run) -> None:
    result = run(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: gitops " + name in result.stdout


def test_unknown_command_is_a_usage_error(run) -> None:
    result = run("deploy")
    assert result.returncode == 2
    assert "invalid choice: 'deploy'" in result.stderr


def test_errors_are_printed_once_with_their_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(args: object) -> int:
        raise ConfigError("bad fact", path="apps/x.yaml", line=3)

    import gitops.commands.render as render_command

    monkeypatch.setattr(render_command, "run", fail)  # the parser binds the command's run()
    assert cli.main(["render"]) == 2
    assert capsys.readouterr().err == "error: apps/x.yaml:3: bad fact\n"
