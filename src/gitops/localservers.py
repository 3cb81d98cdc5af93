"""Real PostgreSQL, Redis and gunicorn on 127.0.0.1, for tests, benchmarks and the image smoke
test: free ports, data under the caller's `workdir`, everything stopped when the context ends.

Started from the distribution's binaries (Debian: `apt-get install -y postgresql redis-server`),
not containers, so they start in about a second. PostgreSQL refuses to run as root; when the
caller is root (CI, containers) it runs as the `postgres` system account (or `nobody`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gitops.errors import GitopsError, ToolMissing
from gitops.localgunicorn import GunicornServer, gunicorn_server
from gitops.localprocess import (
    Daemon,
    RunAs,
    free_port,
    grant_traversal,
    run_checked,
    undo_traversal,
    unprivileged_account,
)

__all__ = [
    "GunicornServer",
    "PostgresServer",
    "RedisServer",
    "gunicorn_server",
    "missing_servers",
    "postgres_server",
    "redis_command",
    "redis_server",
    "servers_hint",
]

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
PG_TOOLS = ("initdb", "postgres", "pg_isready", "psql")
PG_USER = "guestbook"
PG_DATABASE = "guestbook"
SOCKET_PATH_LIMIT = 100  # sun_path is 108 bytes, with ".s.PGSQL.NNNNN" appended


def postgres_bindir() -> Path | None:
    """The folder holding initdb and postgres: from PATH, else the newest Debian install."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).parent] if on_path else []
    installed = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(installed, key=lambda p: _version_key(p.parent.name), reverse=True)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "postgres")):
            return folder
    return None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _pg_tool(bindir: Path, tool: str) -> str:
    local = bindir / tool
    found = str(local) if local.is_file() else shutil.which(tool)
    if found is None:
        raise ToolMissing(f"PostgreSQL's {tool} is not installed; {servers_hint()}")
    return found


def missing_servers() -> list[str]:
    """Names of the missing binaries ([] when PostgreSQL and Redis can both be started)."""
    bindir = postgres_bindir()
    missing = [
        tool
        for tool in PG_TOOLS
        if bindir is None or not ((bindir / tool).is_file() or shutil.which(tool))
    ]
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


def servers_hint() -> str:
    return (
        "PostgreSQL and Redis binaries are needed: apt-get install -y postgresql redis-server "
        "(tests that need them skip without them, fail with GUESTBOOK_REQUIRE_SERVERS=1)"
    )


# --- PostgreSQL ---------------------------------------------------------------------------------


class PostgresServer:
    """A PostgreSQL cluster in `workdir`: a login role that may CREATE DATABASE, and its DB."""

    def __init__(self, workdir: Path, bindir: Path, run_as: RunAs | None, socket_dir: Path):
        self.workdir = workdir
        self.bindir = bindir
        self.run_as = run_as
        self.data_dir = workdir / "data"
        self.socket_dir = socket_dir
        self.port = free_port()
        self.user = PG_USER
        self.password = secrets.token_urlsafe(24)
        self.database = PG_DATABASE
        self.daemon = Daemon("PostgreSQL", workdir / "postgres.log")

    @property
    def url(self) -> str:
        return f"postgres://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    @property
    def pid(self) -> int | None:
        return self.daemon.pid

    def initialise(self) -> None:
        for folder in (self.data_dir, self.socket_dir):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self.run_as:
                os.chown(folder, self.run_as.uid, self.run_as.gid)
        run_checked(
            [
                _pg_tool(self.bindir, "initdb"),
                "--pgdata",
                str(self.data_dir),
                "--username=postgres",
                "--auth-local=trust",  # the socket folder is private (0700) to the server
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            what="initdb",
            run_as=self.run_as,
        )
        self.start()
        sql = (
            f"CREATE ROLE {self.user} LOGIN CREATEDB PASSWORD '{self.password}';\n"
            f"CREATE DATABASE {self.database} OWNER {self.user};\n"
        )
        psql = _pg_tool(self.bindir, "psql")
        socket_args = ["-h", str(self.socket_dir), "-p", str(self.port)]
        run_checked(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", *socket_args, "-U", "postgres", "-f", "-"],
            what="creating the role and database",
            stdin=sql,
        )

    def start(self) -> None:
        settings = {
            "port": str(self.port),
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.socket_dir),
            "unix_socket_permissions": "0700",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "32MB",
            "max_connections": "200",
        }
        argv = [_pg_tool(self.bindir, "postgres"), "-D", str(self.data_dir)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        self.daemon.spawn(argv, run_as=self.run_as, cwd=self.data_dir)
        isready = [_pg_tool(self.bindir, "pg_isready"), "-q", "-h", "127.0.0.1"]
        isready += ["-p", str(self.port), "-t", "1"]
        self.daemon.wait_ready(lambda: _succeeds(isready), START_TIMEOUT)

    def stop(self) -> None:
        """Fast shutdown (SIGINT): clients are disconnected, data stays."""
        self.daemon.halt(signal.SIGINT, STOP_TIMEOUT)

    def restart(self) -> None:
        self.stop()
        self.start()


def _succeeds(argv: list[str]) -> bool:
    return subprocess.run(argv, capture_output=True, check=False).returncode == 0


@contextlib.contextmanager
def postgres_server(workdir: Path) -> Iterator[PostgresServer]:
    bindir = postgres_bindir()
    if bindir is None:
        raise ToolMissing(f"PostgreSQL's initdb and postgres were not found; {servers_hint()}")
    workdir.mkdir(parents=True, exist_ok=True)
    run_as = unprivileged_account()
    undo: list[tuple[Path, int]] = []
    with contextlib.ExitStack() as stack:
        socket_dir = workdir / "sockets"
        if len(str(socket_dir.resolve())) > SOCKET_PATH_LIMIT - 20:
            short = stack.enter_context(tempfile.TemporaryDirectory(prefix="pg-"))
            socket_dir = Path(short) / "s"
        server = PostgresServer(workdir, bindir, run_as, socket_dir)
        try:
            if run_as:
                undo = grant_traversal(workdir, run_as) + grant_traversal(socket_dir.parent, run_as)
            server.initialise()
            yield server
        finally:
            server.stop()
            undo_traversal(undo)


# --- Redis --------------------------------------------------------------------------------------


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
