"""gunicorn serving a Django project on 127.0.0.1 under the project's own gunicorn.conf.py,
for tests and benchmarks (re-exported by `gitops.localservers`)."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from gitops.errors import GitopsError
from gitops.localservers.process import Daemon, free_port, log_tail

START_TIMEOUT = 60.0
GUNICORN_STOP_TIMEOUT = 40.0  # the service's graceful timeout (25 s) with room to spare


class GunicornServer:
    def __init__(self, daemon: Daemon, port: int) -> None:
        self.daemon = daemon
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        if daemon.process is None:
            raise GitopsError("gunicorn is not running")
        self.process = daemon.process
        self.pid = daemon.process.pid

    def terminate(self, timeout: float = GUNICORN_STOP_TIMEOUT) -> int:
        """SIGTERM (a graceful stop), wait; the exit code (negative: killed by that signal)."""
        self.daemon.halt(signal.SIGTERM, timeout)
        return int(self.process.returncode)

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.daemon.log_path, lines)


def _http_status(port: int, path: str) -> int | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1"})
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def _base_environment() -> dict[str, str]:
    """What any process needs, and nothing of the caller's settings (DATABASE_URL etc.)."""
    venv_bin = str(Path(sys.executable).parent)
    keep = {k: os.environ[k] for k in ("HOME", "TZ", "TMPDIR") if k in os.environ}
    path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
    return {**keep, "PATH": f"{venv_bin}{os.pathsep}{path}", "LANG": "C.UTF-8"}


@contextlib.contextmanager
def gunicorn_server(
    service_dir: Path,
    env: Mapping[str, str],
    *,
    workers: int = 2,
    threads: int = 1,
    port: int | None = None,
) -> Iterator[GunicornServer]:
    """The service under its own gunicorn.conf.py, bound to 127.0.0.1, ready when /healthz is."""
    if not (service_dir / "gunicorn.conf.py").is_file():
        raise GitopsError(f"{service_dir / 'gunicorn.conf.py'} does not exist")
    port = port or free_port()
    full_env = {
        **_base_environment(),
        "PYTHONUNBUFFERED": "1",
        **env,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
    }
    argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    argv += ["--bind", f"127.0.0.1:{port}", "guestbook.wsgi:application"]
    with tempfile.TemporaryDirectory(prefix="gunicorn-") as logs:
        daemon = Daemon("gunicorn", Path(logs) / "gunicorn.log")
        try:
            daemon.spawn(argv, env=full_env, cwd=service_dir)
            daemon.wait_ready(lambda: _http_status(port, "/healthz") == 200, START_TIMEOUT)
            yield GunicornServer(daemon, port)
        finally:
            daemon.halt(signal.SIGTERM, GUNICORN_STOP_TIMEOUT)
