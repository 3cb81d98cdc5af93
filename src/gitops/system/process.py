"""Running other programs (git, kustomize, podman, PostgreSQL's tools): the one subprocess helper.

`run` captures the output, never goes through a shell, and turns the ways a run goes wrong into
errors that say what was being done: a program that is not installed (`ToolMissing`, with how
to install it), one that did not finish in time, and (unless `check=False`) one that failed, with
the last lines of what it printed. Long-running servers are started by
`gitops.localservers.process.Daemon`, which builds on the same `RunAs`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, overload

from gitops.errors import GitopsError, ToolMissing

TAIL_LINES = 25
INSTALL_HINTS = {
    "git": "apt-get install -y git",
    "podman": "apt-get install -y podman buildah runc  (Debian/Ubuntu; see https://podman.io)",
    "debootstrap": "apt-get install -y debootstrap",
    "gh": "see https://cli.github.com, then `gh auth login`",
}


@dataclass(frozen=True)
class RunAs:
    """An unprivileged account to run a program as, because the caller is root."""

    name: str
    uid: int
    gid: int

    def popen_kwargs(self) -> dict[str, Any]:
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def require_tool(name: str, hint: str | None = None) -> str:
    """The path of program `name`, or ToolMissing saying how to install it."""
    path = shutil.which(name)
    if path is None:
        how = hint or INSTALL_HINTS.get(name, f"install {name}")
        raise ToolMissing(f"{name} is not installed; {how}")
    return path


@overload
def run(
    argv: Sequence[str],
    *,
    what: str,
    text: Literal[True] = ...,
    check: bool = ...,
    input: str | bytes | None = ...,
    stdin: IO[bytes] | int | None = ...,
    extra_env: Mapping[str, str] | None = ...,
    cwd: Path | None = ...,
    timeout: float | None = ...,
    run_as: RunAs | None = ...,
    capture: bool = ...,
) -> subprocess.CompletedProcess[str]: ...


@overload
def run(
    argv: Sequence[str],
    *,
    what: str,
    text: Literal[False],
    check: bool = ...,
    input: str | bytes | None = ...,
    stdin: IO[bytes] | int | None = ...,
    extra_env: Mapping[str, str] | None = ...,
    cwd: Path | None = ...,
    timeout: float | None = ...,
    run_as: RunAs | None = ...,
    capture: bool = ...,
) -> subprocess.CompletedProcess[bytes]: ...


def run(
    argv: Sequence[str],
    *,
    what: str,
    text: bool = True,
    check: bool = True,
    input: str | bytes | None = None,
    stdin: IO[bytes] | int | None = None,
    extra_env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    run_as: RunAs | None = None,
    capture: bool = True,
) -> subprocess.CompletedProcess[Any]:
    """Run `argv` to completion (`what` names it in errors); its result, output captured.

    `extra_env` is added to this process's environment. With `check`, a non-zero exit raises
    GitopsError with the tail of the program's output; without, the caller reads `returncode`.
    """
    if isinstance(input, str) and not text:
        input = input.encode()
    try:
        result = subprocess.run(
            list(argv),
            input=input,
            stdin=stdin if input is None else None,
            capture_output=capture,
            text=text,
            check=False,
            env=None if extra_env is None else {**os.environ, **extra_env},
            cwd=cwd,
            timeout=timeout,
            **(run_as.popen_kwargs() if run_as else {}),
        )
    except FileNotFoundError as exc:
        name = Path(argv[0]).name
        raise ToolMissing(
            f"{what}: {name} is not installed; {INSTALL_HINTS.get(name, f'install {name}')}"
        ) from exc
    except OSError as exc:
        raise GitopsError(f"{what} could not run: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitopsError(
            f"{what} did not finish within {timeout:.0f} s: {' '.join(argv)}"
        ) from exc
    if check and result.returncode != 0:
        raise GitopsError(
            f"{what} failed (exit {result.returncode}): {' '.join(argv)}{tail(result)}"
        )
    return result


def succeeds(argv: Sequence[str], *, timeout: float | None = None) -> bool:
    """Whether `argv` runs and exits 0 (its output is discarded)."""
    try:
        return run(argv, what=argv[0], check=False, timeout=timeout).returncode == 0
    except GitopsError:
        return False


def tail(result: subprocess.CompletedProcess[Any], lines: int = TAIL_LINES) -> str:
    """The last `lines` lines of what a finished program printed (stdout, then stderr), as a
    block that starts with a newline; "" when it printed nothing."""
    out = [_text(result.stdout), _text(result.stderr)]
    printed = "\n".join(part.strip() for part in out if part and part.strip())
    kept = printed.splitlines()[-lines:]
    return "\n" + "\n".join(kept) if kept else ""


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value or ""
