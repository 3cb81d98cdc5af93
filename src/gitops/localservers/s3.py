"""An S3-compatible object store on 127.0.0.1 (moto's server), for the backup tests and drill.

moto answers the S3 REST API over real HTTP, as MinIO or a cloud bucket would; boto3 (the backup
CronJob's client) talks to it through `endpoint_url`. It keeps objects in memory: nothing
outlives the process. moto comes with the service's test requirements
(services/guestbook/requirements-test.txt); the backup-drill session installs them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

from gitops.errors import ToolMissing
from gitops.localservers.process import Daemon, free_port

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
HINT = "pip install -r services/guestbook/requirements-test.txt (moto, flask, flask-cors)"


class S3Server:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.daemon = Daemon("moto (S3)", workdir / f"s3-{self.port}.log")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
            raise ToolMissing(f"moto's S3 server is not installed; {HINT}")
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.daemon.spawn(argv, cwd=self.workdir)
        self.daemon.wait_ready(self._ready, START_TIMEOUT)

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        self.daemon.halt(signal.SIGTERM, STOP_TIMEOUT)


@contextlib.contextmanager
def s3_server(workdir: Path) -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port, stopped on the way out."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = S3Server(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
