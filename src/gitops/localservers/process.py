"""The plumbing under `gitops.localservers`: one server process with its log file, free ports,
waiting for readiness, and running as an unprivileged user when the caller is root.

Each process starts in its own session, so a stop that has to fall back to SIGKILL kills the
server's children too (PostgreSQL backends, gunicorn workers), and the context managers of
`gitops.localservers` always end with `Daemon.halt`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from gitops.errors import GitopsError
from gitops.system.process import RunAs

POLL_INTERVAL = 0.05
LOG_TAIL_LINES = 25
_PYTHON_ERROR = re.compile(r"^[\w.]*(Error|Exception)\w*: ")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no log at {path})"
    all_lines = text.strip().splitlines()
    tail = all_lines[-lines:]
    if not tail:
        return f"(empty log {path})"
    # A gunicorn whose workers fail to boot ends with the master's own traceback: keep the cause.
    first = next((line for line in all_lines if _PYTHON_ERROR.match(line)), None)
    if first is not None and first not in tail:
        tail = [f"first error: {first}", "...", *tail]
    return "\n".join(tail)


def unprivileged_account(candidates: Sequence[str] = ("postgres", "nobody")) -> RunAs | None:
    """None when not root; else the first account that exists (Debian's `postgres`, `nobody`)."""
    if os.geteuid() != 0:
        return None
    for name in candidates:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return RunAs(name, entry.pw_uid, entry.pw_gid)
    raise GitopsError(
        f"running as root, and none of the accounts {', '.join(candidates)} exists to run "
        "PostgreSQL as (it refuses root): create one, e.g. `useradd --system postgres`"
    )


def _can_search(st: os.stat_result, account: RunAs) -> bool:
    if st.st_uid == account.uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid == account.gid:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def grant_traversal(path: Path, account: RunAs) -> list[tuple[Path, int]]:
    """Let `account` reach `path` by adding search permission (not listing) to the folders in
    the way, such as pytest's and tempfile's 0700 folders owned by root. Returns what to undo."""
    changed: list[tuple[Path, int]] = []
    for folder in [*reversed(path.resolve().parents), path.resolve()]:
        st = folder.stat()
        if not _can_search(st, account):
            mode = stat.S_IMODE(st.st_mode)
            folder.chmod(mode | stat.S_IXOTH | (stat.S_IXGRP if st.st_gid == account.gid else 0))
            changed.append((folder, mode))
    return changed


def undo_traversal(changed: list[tuple[Path, int]]) -> None:
    for folder, mode in reversed(changed):
        with contextlib.suppress(OSError):  # a folder gone already has nothing to protect
            folder.chmod(mode)


class Daemon:
    """One long-running server process; stdout and stderr go to `log_path` (appended)."""

    def __init__(self, what: str, log_path: Path) -> None:
        self.what = what
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def spawn(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        run_as: RunAs | None = None,
    ) -> None:
        if self.running():
            raise GitopsError(f"{self.what} is already running (pid {self.pid})")
        kwargs = run_as.popen_kwargs() if run_as else {}
        with self.log_path.open("ab") as log:
            try:
                self.process = subprocess.Popen(
                    list(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=dict(env) if env is not None else None,
                    cwd=cwd,
                    start_new_session=True,
                    **kwargs,
                )
            except OSError as exc:
                raise GitopsError(f"{self.what} could not start: {exc}") from exc

    def wait_ready(self, is_ready: Callable[[], bool], timeout: float) -> None:
        """Poll `is_ready` until it says yes; on exit or timeout, stop and raise with the log."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process is None or self.process.poll() is not None:
                code = self.process.returncode if self.process else None
                self.process = None
                raise GitopsError(
                    f"{self.what} exited (code {code}) before it was ready; "
                    f"last lines of {self.log_path}:\n{log_tail(self.log_path)}"
                )
            if is_ready():
                return
            if time.monotonic() > deadline:
                self.halt(signal.SIGTERM, timeout=5)
                raise GitopsError(
                    f"{self.what} was not ready after {timeout:.0f}s; "
                    f"last lines of {self.log_path}:\n{log_tail(self.log_path)}"
                )
            time.sleep(POLL_INTERVAL)

    def halt(self, sig: signal.Signals, timeout: float) -> int | None:
        """Send `sig`, wait `timeout` s, then SIGKILL the whole session. Returns the exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            try:
                process.send_signal(sig)
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                _kill_session(process.pid)
                process.wait()
        return process.returncode


def _kill_session(leader: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(leader, signal.SIGKILL)
