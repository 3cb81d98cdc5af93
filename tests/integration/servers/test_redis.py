"""A real Redis on loopback (`localservers.redis`): commands, a replica, stop and start on the same
port, a server that cannot start, and a password: required of clients, given by replicas."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from gitops import localservers
from gitops.errors import GitopsError
from gitops.localservers import redis_command, redis_server

pytestmark = pytest.mark.servers


def test_redis_ping_set_get_and_a_replica_that_replicates(tmp_path: Path, assert_gone) -> None:
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
        assert_gone(pid)


def test_redis_stop_and_start_on_the_same_port(tmp_path: Path, assert_gone) -> None:
    with redis_server(tmp_path / "redis") as redis:
        port, pid = redis.port, redis.pid
        redis.stop()
        assert_gone(pid)
        with pytest.raises(OSError):
            redis_command(port, "PING")
        redis.start()
        assert redis.port == port
        assert redis_command(port, "PING") == "PONG"


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


PASSWORD = 'a "quoted" pass\\word with spaces'  # any character survives the configuration file


def test_a_password_is_required_of_clients_and_given_by_a_replica(
    tmp_path: Path, assert_gone
) -> None:
    with (
        redis_server(tmp_path / "primary", password=PASSWORD) as primary,
        redis_server(tmp_path / "replica", replica_of=primary, password=PASSWORD) as replica,
    ):
        for server in (primary, replica):
            with pytest.raises(GitopsError, match="NOAUTH"):
                redis_command(server.port, "GET", "greeting")
            with pytest.raises(GitopsError, match="WRONGPASS") as refused:
                redis_command(server.port, "PING", password="not the password")
            assert "not the password" not in str(refused.value)
            assert server.command("PING") == "PONG"
            # The password is in a file only its owner reads, never in the process's arguments.
            config = server.workdir / f"redis-{server.port}.conf"
            assert config.stat().st_mode & 0o777 == 0o600
            assert server.daemon.process is not None
            argv = [str(arg) for arg in server.daemon.process.args]
            assert str(config) in argv
            assert not any(PASSWORD in arg for arg in argv)
        assert redis_command(primary.port, "SET", "greeting", "hello", password=PASSWORD) == "OK"
        deadline = time.monotonic() + 5
        while replica.command("GET", "greeting") != "hello":
            assert time.monotonic() < deadline, "the replica never received the key"
            time.sleep(0.02)
        pids = [primary.pid, replica.pid]
    for pid in pids:
        assert_gone(pid)


def test_a_replica_syncs_only_once_it_gives_the_primarys_password(tmp_path: Path) -> None:
    with (
        redis_server(tmp_path / "primary", password=PASSWORD) as primary,
        redis_server(tmp_path / "replica") as replica,
    ):
        primary.command("SET", "greeting", "hello")
        replica.command("REPLICAOF", "127.0.0.1", str(primary.port))  # no masterauth yet
        time.sleep(1.5)  # a replica retries its primary once a second
        assert "master_link_status:down" in replica.command("INFO", "replication")
        assert replica.command("GET", "greeting") == ""
        replica.command("CONFIG", "SET", "masterauth", PASSWORD)
        deadline = time.monotonic() + 10
        while replica.command("GET", "greeting") != "hello":
            assert time.monotonic() < deadline, "the replica never synced with masterauth"
            time.sleep(0.05)
        assert "master_link_status:up" in replica.command("INFO", "replication")
    log = (tmp_path / "replica" / f"redis-{replica.port}.log").read_text(encoding="utf-8")
    assert "NOAUTH" in log or "Authentication" in log  # why it could not sync before


def test_a_password_survives_a_stop_and_start(tmp_path: Path) -> None:
    with redis_server(tmp_path / "redis", password="s3cret") as redis:
        redis.stop()
        redis.start()
        with pytest.raises(GitopsError, match="NOAUTH"):
            redis_command(redis.port, "PING")
        assert redis.command("PING") == "PONG"
        assert os.stat(redis.workdir / f"redis-{redis.port}.conf").st_mode & 0o777 == 0o600
