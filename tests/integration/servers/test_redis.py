"""A real Redis on loopback (`localservers.redis`): commands, a replica, stop and start on the same
port, and a server that cannot start."""

from __future__ import annotations

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
