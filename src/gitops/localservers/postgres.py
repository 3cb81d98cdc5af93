"""A real PostgreSQL on 127.0.0.1: a private cluster in a folder, a login role and its database
(or, with `login_role=False`, only the superuser `postgres`, as the official image's initdb leaves
it; it connects over the Unix socket in `socket_dir`, without a password).

Started from the distribution's binaries (Debian: `apt-get install -y postgresql`), not containers,
so it starts in about a second. PostgreSQL refuses to run as root; when the caller is root (CI,
containers) it runs as the `postgres` system account (or `nobody`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gitops.errors import ToolMissing
from gitops.localservers.binaries import pg_tool, postgres_bindir, servers_hint
from gitops.localservers.process import (
    Daemon,
    free_port,
    grant_traversal,
    undo_traversal,
    unprivileged_account,
)
from gitops.system.process import RunAs, run, succeeds

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
PG_USER = "guestbook"
PG_DATABASE = "guestbook"
SUPERUSER = "postgres"
SOCKET_PATH_LIMIT = 100  # sun_path is 108 bytes, with ".s.PGSQL.NNNNN" appended


class PostgresServer:
    """A PostgreSQL cluster in `workdir`: a login role that may CREATE DATABASE, and its DB
    (neither when `login_role` is false)."""

    def __init__(
        self,
        workdir: Path,
        bindir: Path,
        run_as: RunAs | None,
        socket_dir: Path,
        *,
        login_role: bool = True,
    ) -> None:
        self.workdir = workdir
        self.bindir = bindir
        self.run_as = run_as
        self.data_dir = workdir / "data"
        self.socket_dir = socket_dir
        self.port = free_port()
        self.user = PG_USER
        self.password = secrets.token_urlsafe(24)
        self.database = PG_DATABASE
        self.login_role = login_role
        self.superuser = SUPERUSER
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
        run(
            [
                pg_tool(self.bindir, "initdb"),
                "--pgdata",
                str(self.data_dir),
                f"--username={SUPERUSER}",
                "--auth-local=trust",  # the socket folder is private (0700) to the server
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            what="initdb",
            run_as=self.run_as,
            timeout=120,
        )
        self.start()
        if not self.login_role:
            return
        sql = (
            f"CREATE ROLE {self.user} LOGIN CREATEDB PASSWORD '{self.password}';\n"
            f"CREATE DATABASE {self.database} OWNER {self.user};\n"
        )
        psql = pg_tool(self.bindir, "psql")
        socket_args = ["-h", str(self.socket_dir), "-p", str(self.port)]
        run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", *socket_args, "-U", SUPERUSER, "-f", "-"],
            what="creating the role and database",
            input=sql,
            timeout=120,
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
        argv = [pg_tool(self.bindir, "postgres"), "-D", str(self.data_dir)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        self.daemon.spawn(argv, run_as=self.run_as, cwd=self.data_dir)
        isready = [pg_tool(self.bindir, "pg_isready"), "-q", "-h", "127.0.0.1"]
        isready += ["-p", str(self.port), "-t", "1"]
        self.daemon.wait_ready(lambda: succeeds(isready), START_TIMEOUT)

    def stop(self) -> None:
        """Fast shutdown (SIGINT): clients are disconnected, data stays."""
        self.daemon.halt(signal.SIGINT, STOP_TIMEOUT)

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def postgres_server(workdir: Path, *, login_role: bool = True) -> Iterator[PostgresServer]:
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
        server = PostgresServer(workdir, bindir, run_as, socket_dir, login_role=login_role)
        try:
            if run_as:
                undo = grant_traversal(workdir, run_as) + grant_traversal(socket_dir.parent, run_as)
            server.initialise()
            yield server
        finally:
            server.stop()
            undo_traversal(undo)
