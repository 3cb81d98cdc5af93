"""A real Redis on 127.0.0.1 without persistence (and replicas of it), and a one-command client."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

from gitops.errors import GitopsError, ToolMissing
from gitops.localservers.binaries import servers_hint
from gitops.localservers.process import Daemon, free_port

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def redis_command(port: int, *args: str, timeout: float = 2.0) -> str:
    """Send one command over a raw socket (RESP) and return the reply as text.
    Errors raise GitopsError; a nil reply is returned as ""."""
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload.encode())
        reader = sock.makefile("rb")
        line = reader.readline().decode().rstrip("\r\n")
        kind, rest = line[:1], line[1:]
        if kind == "-":
            raise GitopsError(f"Redis on port {port} answered {' '.join(args)!r} with: {rest}")
        if kind == "$":
            size = int(rest)
            return "" if size < 0 else reader.read(size + 2)[:-2].decode()
        return rest


class RedisServer:
    def __init__(self, workdir: Path, replica_of: RedisServer | None) -> None:
        self.workdir = workdir
        self.replica_of = replica_of
        self.port = free_port()
        self.daemon = Daemon("Redis", workdir / f"redis-{self.port}.log")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self.daemon.pid

    def start(self) -> None:
        redis = shutil.which("redis-server")
        if redis is None:
            raise ToolMissing(f"redis-server is not installed; {servers_hint()}")
        argv = [redis, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.workdir), "--daemonize", "no"]
        argv += ["--repl-diskless-sync-delay", "0"]  # replicas sync at once, not after 5 s
        if self.replica_of is not None:
            argv += ["--replicaof", "127.0.0.1", str(self.replica_of.port)]
        self.daemon.spawn(argv, cwd=self.workdir)
        self.daemon.wait_ready(self._ready, START_TIMEOUT)

    def _ready(self) -> bool:
        try:
            if redis_command(self.port, "PING", timeout=0.5) != "PONG":
                return False
            if self.replica_of is None:
                return True
            return "master_link_status:up" in redis_command(self.port, "INFO", "replication")
        except (OSError, GitopsError):
            return False

    def stop(self) -> None:
        self.daemon.halt(signal.SIGTERM, STOP_TIMEOUT)


@contextlib.contextmanager
def redis_server(workdir: Path, *, replica_of: RedisServer | None = None) -> Iterator[RedisServer]:
    """A Redis without persistence; with `replica_of`, a replica that has synced with it."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = RedisServer(workdir, replica_of)
    try:
        server.start()
        yield server
    finally:
        server.stop()
