"""Every test here runs kustomize (or kubectl kustomize). The seal tests also get a copy of this
repository whose dev certificate belongs to a throwaway key (tests/conftest.py: `rsa_key`), and run
`python -m gitops seal` in it as a process, the value on stdin."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitops.render import sync
from gitops.render.state import render_all
from gitops.repo.layout import Layout


@pytest.fixture(autouse=True)
def _kustomize(request: pytest.FixtureRequest) -> None:
    """Skip (fail when GUESTBOOK_REQUIRE_SERVERS=1) without kustomize and kubectl."""
    request.getfixturevalue("needs_kustomize")


@pytest.fixture
def sealing_repo(sealing_repo: Layout) -> Layout:
    """tests/conftest.py's `sealing_repo` (dev sealed for `rsa_key`), rendered, so that
    clusters/ starts as a fresh render of apps/."""
    sync.write(sealing_repo, render_all(sealing_repo))
    return sealing_repo


@dataclass(frozen=True)
class SealRun:
    """One `python -m gitops seal` process: its command line, exit code and output, and the
    command lines of the programs it ran (kustomize, kubectl)."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    child_argv: list[str]


@pytest.fixture
def run_seal(sealing_repo: Layout, tmp_path: Path) -> Callable[..., SealRun]:
    """run_seal(*args, stdin=b""): `python -m gitops seal ARGS` in `sealing_repo`, `stdin` piped
    in (as `printf %s VALUE |` does). kustomize and kubectl are reached through wrappers that
    record their command lines."""
    shims = tmp_path / "shims"
    shims.mkdir()
    log = tmp_path / "child-argv.log"
    for tool in ("kustomize", "kubectl"):
        real = shutil.which(tool)
        if real:
            shim = shims / tool
            shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$0 $*" >> "{log}"\nexec "{real}" "$@"\n')
            shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{os.environ.get('PATH', '')}"}

    def run(*args: str, stdin: bytes = b"") -> SealRun:
        log.write_text("")
        argv = [sys.executable, "-m", "gitops", "seal", *args]
        result = subprocess.run(
            argv, cwd=sealing_repo.root, input=stdin, capture_output=True, env=env, check=False
        )
        return SealRun(
            argv,
            result.returncode,
            result.stdout.decode(),
            result.stderr.decode(),
            log.read_text().splitlines(),
        )

    return run
