"""What the service reads back from Redis is data, never code.

Anything that can write to Redis could once make the web pods run code: django-redis unpickled
every cached value. Here a pickle whose unpickling would create a file is written by hand into the
key the service reads the top page from; the page must still be served, from the database, and
the file must not exist. On a release that unpickles, this test fails (500, and the file).
"""

from __future__ import annotations

import json
import pickle
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache.backends.base import default_key_func
from gitops.localservers import redis_server
from redis import Redis

from board import store
from tests.live import production_env, redis_env, request

pytestmark = [pytest.mark.servers, pytest.mark.slow]


class CreatesAFile:
    """Unpickling this calls open(path, "w"): the file's existence proves the pickle ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


def redis_key(key: str) -> str:
    """The Redis key of a cache key: django-redis's PREFIX:VERSION:KEY, with the guestbook's
    KEY_PREFIX (guestbook.env.redis_cache) and Django's default version, 1."""
    return default_key_func(key, "guestbook", 1)


def top_page_key(version: int) -> str:
    """The key store.newest() reads the top page (`/` and `/messages`) from, under `version`."""
    return redis_key(f"board:page:{version}:top:{store.DEFAULT_LIMIT}")


@pytest.fixture
def redis(servers_root: Path) -> Iterator[Any]:
    """A Redis of this test's own (with a password, as the session's): what is written into it
    here must not reach the other tests."""
    folder = servers_root / f"redis-pickle-{secrets.token_hex(4)}"
    with redis_server(folder, password=secrets.token_hex(16)) as server:
        yield server


def test_a_pickle_written_into_redis_is_never_run(
    live_site, live_database: str, redis: Any, tmp_path: Path
) -> None:
    marker = tmp_path / "the-pickle-ran"
    payload = pickle.dumps(CreatesAFile(marker))
    client = Redis(port=redis.port, password=redis.password, socket_timeout=2)
    env = production_env(DATABASE_URL=live_database, **redis_env(redis))
    with live_site(env, workers=1, threads=2) as site:
        posted = request(site.url, "POST", "/messages", body=b"hello, not a pickle")
        version = int(client.get(redis_key(store.VERSION_KEY)))  # bumped by the post
        client.set(top_page_key(version), payload)  # raw bytes, as an attacker would
        page = request(site.url)
        listed = request(site.url, path="/messages")
        log = site.log_tail(200)
        stored = client.get(top_page_key(version))
    assert posted.status == 201
    assert not marker.exists(), "unpickling a value read from Redis ran its code"
    assert page.status == 200, page.body[:500]
    assert "hello, not a pickle" in page.body
    assert "Visits:" in page.body  # the counter works: Redis was read, not bypassed
    assert listed.status == 200
    assert [m["text"] for m in json.loads(listed.body)["messages"]] == ["hello, not a pickle"]
    assert "not JSON" in log  # the bad value was logged ...
    assert stored is not None
    assert json.loads(stored)["entries"][0]["text"] == "hello, not a pickle"  # ... and replaced


def test_pickles_under_the_counter_and_the_version_keys_are_never_run_either(
    live_site, live_database: str, redis: Any, tmp_path: Path
) -> None:
    """The two integers: INCR refuses the counter's pickle (the counter shows as unavailable,
    the page is served), and the version's is read as a miss, then replaced by the next post."""
    markers = {
        key: tmp_path / key.replace(":", "-") for key in (store.VISITS_KEY, store.VERSION_KEY)
    }
    client = Redis(port=redis.port, password=redis.password, socket_timeout=2)
    env = production_env(DATABASE_URL=live_database, **redis_env(redis))
    with live_site(env, workers=1, threads=2) as site:
        for key, marker in markers.items():
            client.set(redis_key(key), pickle.dumps(CreatesAFile(marker)))
        before = request(site.url)
        posted = request(site.url, "POST", "/messages", body=b"posted over a pickled version")
        listed = request(site.url, path="/messages")
        page = request(site.url)
        version = client.get(redis_key(store.VERSION_KEY))
    assert [m for m in markers.values() if m.exists()] == []
    assert (before.status, posted.status, listed.status, page.status) == (200, 201, 200, 200)
    assert "Visit counter unavailable" in page.body  # INCR refuses what is not a number
    assert "posted over a pickled version" in page.body
    assert [m["text"] for m in json.loads(listed.body)["messages"]] == [
        "posted over a pickled version"
    ]
    assert version is not None and version.isdigit()  # the post replaced the version
