"""A real Redis on 127.0.0.1 without persistence (and replicas of it), and a one-command client.

With a password, the server requires it (`requirepass`) and a replica gives its primary's
(`masterauth`). Both are written to a configuration file in the server's folder (mode 0600)
rather than passed as arguments, where any local user could read them in the process list.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from gitops.errors import GitopsError, ToolMissing
from gitops.localservers.binaries import servers_hint
from gitops.localservers.process import Daemon, free_port

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def redis_command(port: int, *args: str, password: str | None = None, timeout: float = 2.0) -> str:
    """Send one command over a raw socket (RESP) and return the reply as text; with `password`,
    AUTH first on the same connection. Errors raise GitopsError (a refused AUTH too, without the
    password in the message); a nil reply is returned as ""."""
    commands: list[Sequence[str]] = [args]
    if password is not None:
        commands.insert(0, ("AUTH", password))
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"".join(resp_command(command) for command in commands))
        reader = sock.makefile("rb")
        replies = [_reply(reader, port, command) for command in commands]
    return replies[-1]


def resp_command(args: Sequence[str]) -> bytes:
    """A command as a RESP array of bulk strings: any bytes in the arguments are safe."""
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts += [f"${len(data)}\r\n".encode(), data, b"\r\n"]
    return b"".join(parts)


def _reply(reader: BinaryIO, port: int, command: Sequence[str]) -> str:
    line = reader.readline().decode().rstrip("\r\n")
    kind, rest = line[:1], line[1:]
    if kind == "-":
        what = "AUTH" if command[0] == "AUTH" else " ".join(command)
        raise GitopsError(f"Redis on port {port} answered {what!r} with: {rest}")
    if kind == "$":
        size = int(rest)
        return "" if size < 0 else reader.read(size + 2)[:-2].decode()
    return rest


def config_text(*, password: str | None, primary_password: str | None) -> str:
    """The configuration file's lines: `requirepass` for this server's password, `masterauth`
    for its primary's (values quoted as redis.conf reads them: any character is safe)."""
    lines = []
    if password is not None:
        lines.append(f"requirepass {_quoted(password)}")
    if primary_password is not None:
        lines.append(f"masterauth {_quoted(primary_password)}")
    return "".join(line + "\n" for line in lines)


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


class RedisServer:
    def __init__(
        self, workdir: Path, replica_of: RedisServer | None, password: str | None = None
    ) -> None:
        self.workdir = workdir
        self.replica_of = replica_of
        self.password = password
        self.port = free_port()
        self.daemon = Daemon("Redis", workdir / f"redis-{self.port}.log")

    @property
    def url(self) -> str:
        """Without the password: clients are given it separately (REDIS_PASSWORD)."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self.daemon.pid

    def command(self, *args: str) -> str:
        """`redis_command` on this server, with its password."""
        return redis_command(self.port, *args, password=self.password)

    def start(self) -> None:
        redis = shutil.which("redis-server")
        if redis is None:
            raise ToolMissing(f"redis-server is not installed; {servers_hint()}")
        config = self.workdir / f"redis-{self.port}.conf"
        primary_password = self.replica_of.password if self.replica_of is not None else None
        _write_private(
            config, config_text(password=self.password, primary_password=primary_password)
        )
        argv = [redis, str(config), "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir)]
        argv += ["--daemonize", "no"]
        argv += ["--repl-diskless-sync-delay", "0"]  # replicas sync at once, not after 5 s
        if self.replica_of is not None:
            argv += ["--replicaof", "127.0.0.1", str(self.replica_of.port)]
        self.daemon.spawn(argv, cwd=self.workdir)
        self.daemon.wait_ready(self._ready, START_TIMEOUT)

    def _ready(self) -> bool:
        try:
            if redis_command(self.port, "PING", password=self.password, timeout=0.5) != "PONG":
                return False
            if self.replica_of is None:
                return True
            return "master_link_status:up" in self.command("INFO", "replication")
        except (OSError, GitopsError):
            return False

    def stop(self) -> None:
        self.daemon.halt(signal.SIGTERM, STOP_TIMEOUT)


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner can read (created so, never readable in between)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)  # an existing file keeps its mode through O_CREAT


@contextlib.contextmanager
def redis_server(
    workdir: Path, *, replica_of: RedisServer | None = None, password: str | None = None
) -> Iterator[RedisServer]:
    """A Redis without persistence; with `replica_of`, a replica that has synced with it (giving
    the primary's password, if it has one); with `password`, one that requires it."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = RedisServer(workdir, replica_of, password)
    try:
        server.start()
        yield server
    finally:
        server.stop()
