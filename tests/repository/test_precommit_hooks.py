"""`.pre-commit-hooks.yaml`: the hook other repositories run from pre-commit. Its entry must be a
console script this package installs, running a command the CLI has."""

from __future__ import annotations

import importlib
import re
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

from gitops import cli


def test_the_hook_runs_a_console_script_of_this_package(repo_root: Path) -> None:
    hooks = yaml.safe_load((repo_root / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "gitops-validate"
    assert hook["language"] == "python"
    script, command, *args = hook["entry"].split()
    assert (command, args) == ("validate", [])
    scripts = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, function = scripts[script].partition(":")
    assert getattr(importlib.import_module(module), function) is cli.main
    assert command in cli.COMMANDS
    installed = {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts")}
    assert installed.get(script) == scripts[script]  # the package installed here has it too


def test_the_hook_takes_yaml_and_json_files(repo_root: Path) -> None:
    (hook,) = yaml.safe_load((repo_root / ".pre-commit-hooks.yaml").read_text())
    files = re.compile(hook["files"])
    for name in ("k8s/app.yaml", "k8s/app.yml", "list.json"):
        assert files.search(name), name
    for name in ("README.md", "app.yaml.orig", "values.toml"):
        assert not files.search(name), name
    assert hook["require_serial"] is True  # one process sees every file passed
