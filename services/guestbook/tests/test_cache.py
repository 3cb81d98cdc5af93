"""The cache: page invalidation without a race, and a Redis outage that never becomes a 5xx."""

from __future__ import annotations

import json
import socket

import pytest
from django.core.cache import cache
from django.test import Client

from board import store
from guestbook.env import redis_cache

pytestmark = pytest.mark.django_db(transaction=True)


def texts(page: store.Page) -> list[str]:
    return [entry.text for entry in page.entries]


def test_a_fill_racing_a_write_cannot_hide_the_new_message() -> None:
    store.add_message("old")
    # A reader takes the version and queries before the write commits ...
    version = store._pages_version()
    stale = store._query(store.DEFAULT_LIMIT, None)
    store.add_message("new")
    # ... and stores its page after the write has invalidated: the slow fill lands late.
    cache.set(f"board:page:{version}:top:{store.DEFAULT_LIMIT}", stale, store.PAGE_TTL)
    assert texts(store.newest()) == ["new", "old"]


def test_pages_are_served_from_the_cache_until_a_write() -> None:
    store.add_message("one")
    first = store.newest()
    store.Message.objects.create(text="behind the cache's back")  # no invalidation
    assert store.newest() == first  # cached
    store.add_message("two")
    assert texts(store.newest())[0] == "two"


def test_a_lost_version_restarts_somewhere_no_old_page_is() -> None:
    store.add_message("before")
    store.newest()
    old_version = cache.get(store.VERSION_KEY)
    cache.delete(store.VERSION_KEY)  # evicted, or Redis flushed
    store.Message.objects.create(text="after")
    assert texts(store.newest()) == ["after", "before"]
    assert cache.get(store.VERSION_KEY) != old_version


def test_visit_counter_starts_at_one_and_counts() -> None:
    assert [store.count_visit() for _ in range(3)] == [1, 2, 3]
    assert store.visits() == 3


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once this socket closes


def test_redis_down_is_never_a_5xx(settings: object) -> None:
    """django-redis pointed at a port where nothing listens: the site still works."""
    settings.CACHES = {
        "default": redis_cache(f"redis://127.0.0.1:{closed_port()}/0", [], timeout=0.2)
    }
    client = Client()
    page = client.get("/")
    assert page.status_code == 200
    assert "Visit counter unavailable" in page.content.decode()
    posted = client.post("/messages", json.dumps({"text": "hi"}), content_type="application/json")
    assert posted.status_code == 201
    listed = client.get("/messages")
    assert listed.status_code == 200
    assert [m["text"] for m in listed.json()["messages"]] == ["hi"]
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["redis"].startswith("unavailable (")
