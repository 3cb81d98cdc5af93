"""The service under gunicorn against real PostgreSQL and Redis, as the image runs it."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from gitops.errors import GitopsError
from gitops.localservers import redis_command, redis_server
from redis import Redis
from redis.exceptions import AuthenticationError

from tests.live import create_database, manage, production_env, redis_env, request, visits

pytestmark = pytest.mark.servers


@pytest.mark.django_db
def test_the_test_database_is_postgresql(postgres: object) -> None:
    assert connection.vendor == "postgresql"


def test_redis_refuses_a_client_without_its_password(redis: object) -> None:
    """The session's Redis is the cluster's: nothing without REDIS_PASSWORD reads or writes."""
    with pytest.raises(GitopsError, match="NOAUTH"):
        redis_command(redis.port, "SET", "guestbook:1:board:visits", "1000")
    # redis-py opens with HELLO, which Redis refuses before AUTH (a NOAUTH-class error)
    with pytest.raises(AuthenticationError, match=r"(?i)authenticat"):
        Redis(port=redis.port, socket_timeout=2).get("guestbook:1:board:visits")
    with pytest.raises(AuthenticationError):
        Redis(port=redis.port, password="not-" + redis.password, socket_timeout=2).ping()
    assert Redis(port=redis.port, password=redis.password, socket_timeout=2).ping() is True


def replicated(primary: object, replica: object, timeout: float = 5.0) -> None:
    """Wait until the replica has applied everything the primary has written."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        offsets = [
            _info_field(server.command("INFO", "replication"), "master_repl_offset")
            for server in (primary, replica)
        ]
        if offsets[0] == offsets[1]:
            return
        time.sleep(0.02)
    raise AssertionError(f"the replica did not catch up: offsets {offsets}")


def _info_field(info: str, name: str) -> str:
    return next(line.split(":", 1)[1] for line in info.splitlines() if line.startswith(name + ":"))


@pytest.mark.django_db(transaction=True)
def test_page_cache_reads_its_version_from_the_primary_not_a_lagging_replica(
    settings: object, redis: object, servers_root: Path
) -> None:
    from django.core.cache import cache
    from django.test import Client

    from guestbook.env import redis_cache

    # The replica requires the primary's password and gives it to the primary (masterauth).
    with redis_server(
        servers_root / "replica", replica_of=redis, password=redis.password
    ) as replica:
        settings.CACHES = {
            "default": redis_cache(redis.url, [replica.url], password=redis.password, timeout=0.5)
        }
        cache.clear()
        client = Client()
        client.post("/messages", b"first", content_type="text/plain")
        replicated(redis, replica)
        assert [m["text"] for m in client.get("/messages").json()["messages"]] == ["first"]
        replicated(redis, replica)
        assert replica.command("DBSIZE") == "2"  # the version and the cached page
        replica.command("REPLICAOF", "NO", "ONE")  # from now on it lags for ever
        client.post("/messages", b"second", content_type="text/plain")
        listed = client.get("/messages").json()["messages"]
        assert [m["text"] for m in listed] == ["second", "first"]
        cache.clear()


@pytest.mark.slow
def test_concurrent_visits_are_all_counted(live_site, live_database: str, redis: object) -> None:
    env = production_env(DATABASE_URL=live_database, **redis_env(redis))
    with live_site(env, workers=2, threads=4) as site:
        before = visits(request(site.url).body)
        assert before is not None
        with ThreadPoolExecutor(max_workers=40) as pool:
            replies = list(pool.map(lambda _: request(site.url), range(200)))
        after = visits(request(site.url).body)
    assert [r.status for r in replies] == [200] * 200
    assert after == before + 201  # 200 concurrent visits, and the one that read it


@pytest.mark.slow
def test_sigterm_lets_in_flight_requests_finish(live_site, live_database: str, redis) -> None:
    env = production_env(DATABASE_URL=live_database, COMPUTE_ENABLED="1", **redis_env(redis))
    with live_site(env, workers=2, threads=2) as site:
        results: list[object] = []

        def slow() -> None:
            try:
                results.append(request(site.url, path="/compute?ms=1500", timeout=30).status)
            except OSError as exc:
                results.append(exc)

        clients = [threading.Thread(target=slow) for _ in range(4)]  # one per worker thread
        for client in clients:
            client.start()
        time.sleep(0.5)  # all four are being served when SIGTERM arrives
        started = time.monotonic()
        code = site.terminate()
        stopped_after = time.monotonic() - started
        for client in clients:
            client.join(timeout=30)
    assert results == [200, 200, 200, 200]
    assert code == 0
    assert stopped_after > 0.5  # it waited for them rather than cutting them off


@pytest.mark.slow
def test_kubelet_probes_pass_with_production_security_on(live_site, live_database, redis) -> None:
    env = production_env(
        DATABASE_URL=live_database,
        **redis_env(redis),
        ALLOWED_HOSTS="guestbook.example.com",
        SECURE_SSL_REDIRECT="1",
    )
    pod = {"Host": "10.244.0.12:8000", "User-Agent": "kube-probe/1.34"}
    with live_site(env) as site:
        health = request(site.url, path="/healthz", headers=pod)
        ready = request(site.url, path="/readyz", headers=pod)
        page_by_ip = request(site.url, headers=pod)
        plain = request(site.url, headers={"Host": "guestbook.example.com"})
        via_ingress = request(
            site.url, headers={"Host": "guestbook.example.com", "X-Forwarded-Proto": "https"}
        )
    assert (health.status, health.body) == (200, "ok\n")
    assert ready.status == 200
    assert json.loads(ready.body) == {
        "status": "ready",
        "database": "ok",
        "migrations": "ok",
        "redis": "ok",
    }
    assert page_by_ip.status == 400
    assert plain.status == 301
    assert plain.headers["location"] == "https://guestbook.example.com/"
    assert via_ingress.status == 200
    assert via_ingress.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "secure" in via_ingress.headers["set-cookie"].lower()


@pytest.mark.slow
def test_readyz_waits_for_migrations(live_site, postgres: object, redis: object) -> None:
    url = create_database(postgres.url, "live_unmigrated")
    env = production_env(DATABASE_URL=url, **redis_env(redis))
    with live_site(env, workers=1, threads=2) as site:
        before = request(site.url, path="/readyz")
        manage("migrate", "--noinput", env=env)
        after = request(site.url, path="/readyz")
        health = request(site.url, path="/healthz")
    assert before.status == 503
    assert json.loads(before.body)["migrations"].startswith("1 unapplied (board.0001_initial)")
    assert after.status == 200
    assert health.status == 200
