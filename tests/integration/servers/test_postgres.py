"""A real PostgreSQL on loopback (`localservers.postgres`): its URL, a restart that keeps the data,
passwords, stop and start."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitops.localservers import postgres_server

pytestmark = pytest.mark.servers


def _psql(url: str, sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_postgres_serves_the_url_and_keeps_data_across_a_restart(
    tmp_path: Path, assert_gone
) -> None:
    with postgres_server(tmp_path / "pg") as pg:
        assert pg.url.startswith(f"postgres://guestbook:{pg.password}@127.0.0.1:{pg.port}/")
        created = _psql(pg.url, "CREATE TABLE note (body text); INSERT INTO note VALUES ('kept')")
        assert created.returncode == 0, created.stderr
        # pytest-django creates test_<db>: the role may create databases, but is no superuser.
        assert _psql(pg.url, "CREATE DATABASE test_guestbook").returncode == 0
        first_pid = pg.pid

        pg.restart()

        assert pg.pid != first_pid
        assert_gone(first_pid)
        after = _psql(pg.url, "SELECT body FROM note")
        assert after.returncode == 0, after.stderr
        assert after.stdout.strip() == "kept"
        pid = pg.pid
    assert_gone(pid)


def test_postgres_refuses_a_wrong_password_and_is_down_after_stop(
    tmp_path: Path, assert_gone
) -> None:
    with postgres_server(tmp_path / "pg") as pg:
        wrong = pg.url.replace(pg.password, "not-the-password")
        refused = _psql(wrong, "SELECT 1")
        assert refused.returncode != 0
        assert "password authentication failed" in refused.stderr
        superuser = _psql(pg.url, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert superuser.stdout.strip() == "f"

        pid = pg.pid
        pg.stop()
        assert_gone(pid)
        assert _psql(pg.url, "SELECT 1").returncode != 0
        pg.start()
        assert _psql(pg.url, "SELECT 1").stdout.strip() == "1"


def test_postgres_without_a_login_role_has_only_the_superuser_over_its_socket(
    tmp_path: Path,
) -> None:
    """As the official image's initdb leaves a cluster: the superuser `postgres`, no other role,
    no database but initdb's; psql reaches it over the Unix socket without a password."""
    with postgres_server(tmp_path / "pg", login_role=False) as pg:
        socket = ["-h", str(pg.socket_dir), "-p", str(pg.port), "-U", pg.superuser]
        roles = "SELECT string_agg(rolname, ',') FROM pg_roles WHERE rolname !~ '^pg_'"
        databases = "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database"
        psql = ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", *socket, "-d", "postgres"]
        listed = subprocess.run(
            [*psql, "-c", roles, "-c", databases],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split() == ["postgres", "postgres,template0,template1"]
        assert _psql(pg.url, "SELECT 1").returncode != 0  # no role guestbook to log in as
