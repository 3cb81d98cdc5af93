"""Servers going away under a live site: Redis stopping never causes a 5xx, and a PostgreSQL
restart heals by itself (persistent connections are health-checked before reuse)."""

from __future__ import annotations

import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gitops.localservers import postgres_server, redis_server

from tests.live import create_database, manage, production_env, redis_env, request, visits

pytestmark = [pytest.mark.servers, pytest.mark.slow]


def exercise(url: str, note: str) -> list[tuple[str, int]]:
    """Every endpoint once, as users and scripts would: (what, status)."""
    statuses = [
        ("GET /", request(url).status),
        ("GET /messages", request(url, path="/messages").status),
        ("POST /messages", request(url, "POST", "/messages", body=note.encode()).status),
        ("GET /readyz", request(url, path="/readyz").status),
        ("GET /healthz", request(url, path="/healthz").status),
        ("GET /compute", request(url, path="/compute?ms=5").status),
    ]
    return statuses


def test_redis_stopping_and_coming_back_never_gives_a_5xx(
    live_site, live_database: str, servers_root: Path
) -> None:
    with redis_server(servers_root / "redis-outage", password=secrets.token_hex(16)) as redis:
        env = production_env(DATABASE_URL=live_database, COMPUTE_ENABLED="1", **redis_env(redis))
        with live_site(env, workers=2, threads=4) as site:
            up = visits(request(site.url).body)
            redis.stop()
            during = exercise(site.url, "written while Redis was down")
            page = request(site.url).body
            ready = json.loads(request(site.url, path="/readyz").body)
            with ThreadPoolExecutor(max_workers=8) as pool:
                burst = list(pool.map(lambda _: request(site.url).status, range(40)))
            listed = json.loads(request(site.url, path="/messages").body)["messages"]
            redis.start()
            back = [visits(request(site.url).body) for _ in range(2)]
    assert up == 1
    assert [status for _, status in during] == [200, 200, 201, 200, 200, 200], during
    assert "Visit counter unavailable" in page
    assert ready["status"] == "ready"
    assert ready["redis"].startswith("unavailable")
    assert burst == [200] * 40
    assert listed[0]["text"] == "written while Redis was down"
    assert back == [1, 2]  # Redis came back empty (no persistence): counting starts again


def test_postgres_restart_heals_without_restarting_the_app(
    live_site, redis: object, servers_root: Path
) -> None:
    with postgres_server(servers_root / "postgres-restart") as pg:
        url = create_database(pg.url, "restart")
        manage("migrate", "--noinput", env=production_env(DATABASE_URL=url))
        env = production_env(DATABASE_URL=url, **redis_env(redis))
        with live_site(env, workers=2, threads=2) as site:
            # warm every worker thread's persistent connection
            with ThreadPoolExecutor(max_workers=8) as pool:
                warm = list(pool.map(lambda _: request(site.url, path="/readyz").status, range(16)))
            request(site.url, "POST", "/messages", body=b"before the restart")
            pg.stop()
            down_ready = request(site.url, path="/readyz")
            down_health = request(site.url, path="/healthz")
            down_page = request(site.url)
            pg.start()
            with ThreadPoolExecutor(max_workers=8) as pool:
                after = [r.status for r in pool.map(lambda _: request(site.url), range(16))]
            posted = request(site.url, "POST", "/messages", body=b"after the restart")
            listed = json.loads(request(site.url, path="/messages").body)["messages"]
            ready = request(site.url, path="/readyz")
    assert warm == [200] * 16
    assert down_ready.status == 503
    assert json.loads(down_ready.body)["database"].startswith("unavailable (OperationalError")
    assert down_health.status == 200  # liveness never depends on the database
    assert down_page.status == 500  # the database is the page's content: nothing to show
    assert after == [200] * 16  # the very next requests, on every worker thread, succeed
    assert posted.status == 201
    assert [m["text"] for m in listed] == ["after the restart", "before the restart"]
    assert ready.status == 200


def test_a_web_pod_with_a_wrong_redis_password_serves_without_the_cache(
    live_site, live_database: str, redis: object
) -> None:
    """A Secret out of step with Redis's password: Redis refuses every command, which the site
    treats as an outage (never a 5xx), and /readyz says why."""
    env = production_env(
        DATABASE_URL=live_database,
        REDIS_URL=redis.url,
        REDIS_PASSWORD="not-the-password",
        COMPUTE_ENABLED="1",
    )
    with live_site(env, workers=1, threads=2) as site:
        statuses = exercise(site.url, "written with a wrong Redis password")
        page = request(site.url).body
        ready = json.loads(request(site.url, path="/readyz").body)
    assert [status for _, status in statuses] == [200, 200, 201, 200, 200, 200], statuses
    assert "Visit counter unavailable" in page
    assert ready["status"] == "ready"
    assert ready["redis"] == "unavailable (AuthenticationError)"
