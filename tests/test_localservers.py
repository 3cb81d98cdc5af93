"""The local PostgreSQL, Redis and gunicorn that tests, benchmarks and the image smoke test use."""

from __future__ import annotations

import os
import socket
import subprocess
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from gitops import localservers
from gitops.errors import GitopsError
from gitops.localservers import (
    gunicorn_server,
    missing_servers,
    postgres_server,
    redis_command,
    redis_server,
    servers_hint,
)

pytestmark = pytest.mark.servers


@pytest.fixture(autouse=True)
def _servers_installed() -> None:
    missing = missing_servers()
    if missing:
        message = f"missing {', '.join(missing)}: {servers_hint()}"
        if os.environ.get("GUESTBOOK_REQUIRE_SERVERS") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _session_members(leader: int) -> list[int]:
    """Processes still alive in the session a server was started in (itself and children)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == leader:  # state ppid pgrp session
            members.append(int(entry.name))
    return members


def _assert_gone(pid: int | None) -> None:
    assert pid is not None
    assert _session_members(pid) == [], f"processes of session {pid} survived the stop"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def _psql(url: str, sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_missing_servers_is_empty_here_and_the_hint_says_how_to_install() -> None:
    assert missing_servers() == []
    assert "apt-get install -y postgresql redis-server" in servers_hint()
    assert "GUESTBOOK_REQUIRE_SERVERS" in servers_hint()


def test_postgres_serves_the_url_and_keeps_data_across_a_restart(tmp_path: Path) -> None:
    with postgres_server(tmp_path / "pg") as pg:
        assert pg.url.startswith(f"postgres://guestbook:{pg.password}@127.0.0.1:{pg.port}/")
        created = _psql(pg.url, "CREATE TABLE note (body text); INSERT INTO note VALUES ('kept')")
        assert created.returncode == 0, created.stderr
        # pytest-django creates test_<db>: the role may create databases, but is no superuser.
        assert _psql(pg.url, "CREATE DATABASE test_guestbook").returncode == 0
        first_pid = pg.pid

        pg.restart()

        assert pg.pid != first_pid
        _assert_gone(first_pid)
        after = _psql(pg.url, "SELECT body FROM note")
        assert after.returncode == 0, after.stderr
        assert after.stdout.strip() == "kept"
        pid = pg.pid
    _assert_gone(pid)


def test_postgres_refuses_a_wrong_password_and_is_down_after_stop(tmp_path: Path) -> None:
    with postgres_server(tmp_path / "pg") as pg:
        wrong = pg.url.replace(pg.password, "not-the-password")
        refused = _psql(wrong, "SELECT 1")
        assert refused.returncode != 0
        assert "password authentication failed" in refused.stderr
        superuser = _psql(pg.url, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert superuser.stdout.strip() == "f"

        pid = pg.pid
        pg.stop()
        _assert_gone(pid)
        assert _psql(pg.url, "SELECT 1").returncode != 0
        pg.start()
        assert _psql(pg.url, "SELECT 1").stdout.strip() == "1"


def test_redis_ping_set_get_and_a_replica_that_replicates(tmp_path: Path) -> None:
    with (
        redis_server(tmp_path / "primary") as primary,
        redis_server(tmp_path / "replica", replica_of=primary) as replica,
    ):
        assert primary.url == f"redis://127.0.0.1:{primary.port}/0"
        assert replica.port != primary.port
        with socket.create_connection(("127.0.0.1", primary.port), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            assert sock.recv(64) == b"+PONG\r\n"
        assert redis_command(primary.port, "SET", "greeting", "hello") == "OK"
        assert redis_command(primary.port, "GET", "greeting") == "hello"
        assert redis_command(primary.port, "GET", "absent") == ""

        deadline = time.monotonic() + 5
        while redis_command(replica.port, "GET", "greeting") != "hello":
            assert time.monotonic() < deadline, "the replica never received the key"
            time.sleep(0.02)
        with pytest.raises(GitopsError, match="READONLY"):
            redis_command(replica.port, "SET", "greeting", "overwritten")
        pids = [primary.pid, replica.pid]
    for pid in pids:
        _assert_gone(pid)


def test_redis_stop_and_start_on_the_same_port(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis") as redis:
        port, pid = redis.port, redis.pid
        redis.stop()
        _assert_gone(pid)
        with pytest.raises(OSError):
            redis_command(port, "PING")
        redis.start()
        assert redis.port == port
        assert redis_command(port, "PING") == "PONG"


def test_servers_are_stopped_when_the_block_raises(tmp_path: Path) -> None:
    pids: list[int | None] = []
    with (
        pytest.raises(RuntimeError, match="boom"),
        postgres_server(tmp_path / "pg") as pg,
        redis_server(tmp_path / "redis") as redis,
    ):
        pids += [pg.pid, redis.pid]
        raise RuntimeError("boom")
    for pid in pids:
        _assert_gone(pid)


def test_a_server_that_cannot_start_raises_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setattr(localservers.redis, "free_port", lambda: taken.getsockname()[1])
        with pytest.raises(GitopsError) as raised, redis_server(tmp_path / "redis"):
            pass
    message = str(raised.value)
    assert "Redis exited" in message
    assert "Address already in use" in message
    assert str(tmp_path / "redis") in message  # names the log file


# --- gunicorn, with a stand-in project so that this does not depend on the service --------------

STANDIN_CONF = """
import os
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
graceful_timeout = 5
"""

STANDIN_WSGI = """
import os
def application(environ, start_response):
    if environ["PATH_INFO"] == "/healthz":
        body = os.environ.get("GREETING", "?").encode()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no"]
"""


def _standin_service(root: Path, wsgi: str) -> Path:
    (root / "guestbook").mkdir(parents=True)
    (root / "gunicorn.conf.py").write_text(textwrap.dedent(STANDIN_CONF))
    (root / "guestbook" / "__init__.py").write_text("")
    (root / "guestbook" / "wsgi.py").write_text(textwrap.dedent(wsgi))
    return root


def test_gunicorn_serves_on_loopback_and_stops_on_sigterm(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn", reason="pip install gunicorn (services/guestbook/requirements)")
    service = _standin_service(tmp_path / "svc", STANDIN_WSGI)
    with gunicorn_server(service, {"GREETING": "hi"}, workers=2, threads=2) as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
            assert response.read() == b"hi"
        deadline = time.monotonic() + 10
        while len(_session_members(server.pid)) < 3:  # the master and its two workers
            assert time.monotonic() < deadline, _session_members(server.pid)
            time.sleep(0.05)
        assert server.terminate() == 0
        _assert_gone(server.pid)


def test_gunicorn_that_cannot_load_the_app_raises_with_its_stderr(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn", reason="pip install gunicorn (services/guestbook/requirements)")
    service = _standin_service(tmp_path / "svc", "raise ImportError('no module named djangoo')\n")
    with pytest.raises(GitopsError, match="djangoo"), gunicorn_server(service, {}):
        pass
