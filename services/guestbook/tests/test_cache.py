"""The cache: page invalidation without a race, a Redis outage that never becomes a 5xx, and
values stored as JSON data that are checked when read back (never unpickled)."""

from __future__ import annotations

import json
import logging
import pickle
import socket
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import Client

from board import store
from guestbook.env import redis_cache
from guestbook.serializers import JSONSerializer

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
    cache.set(f"board:page:{version}:top:{store.DEFAULT_LIMIT}", stale.as_json(), store.PAGE_TTL)
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


class RunsCode:
    def __reduce__(self) -> tuple:
        return (exec, ("raise SystemExit('unpickled')",))


def test_the_serializer_stores_json_and_reads_anything_else_as_a_miss(
    caplog: pytest.LogCaptureFixture,
) -> None:
    serializer = JSONSerializer({})
    value = {"entries": [{"id": 1, "text": "é"}], "next_cursor": None}
    assert json.loads(serializer.dumps(value)) == value
    assert serializer.loads(serializer.dumps(value)) == value
    with caplog.at_level(logging.WARNING, logger="guestbook.serializers"):
        assert serializer.loads(pickle.dumps(RunsCode())) is None  # not run: not even read
        assert serializer.loads(b"{not json") is None
        assert serializer.loads(b"[" * 100_000) is None  # too deep for the parser
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "a cached value is not JSON"
    ] * 3
    with pytest.raises(TypeError):  # no lossy conversion of what JSON cannot hold
        serializer.dumps(datetime.now(UTC))
    with pytest.raises(ValueError):
        serializer.dumps(float("nan"))


def test_redis_settings_use_the_json_serializer() -> None:
    options = redis_cache("redis://p:6379/0", [], timeout=1)["OPTIONS"]
    assert options["SERIALIZER"] == "guestbook.serializers.JSONSerializer"


def test_a_page_survives_the_round_trip_through_json() -> None:
    for text in ("one", "two", "three"):
        store.add_message(text)
    page = store.newest(limit=2)
    assert page.next_cursor is not None
    assert page.entries[0].created.microsecond or page.entries[1].created.microsecond
    again = store.Page.from_json(json.loads(json.dumps(page.as_json())))
    assert again == page
    assert [e.created for e in again.entries] == [e.created for e in page.entries]
    assert store.Page.from_json({"entries": [], "next_cursor": None}) == store.Page((), None)


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "a page",
        {"entries": []},
        {"entries": {}, "next_cursor": None},
        {"entries": [], "next_cursor": 5},
        {"entries": [], "next_cursor": "not-a-cursor"},
        {
            "entries": [{"id": "1", "text": "x", "created": "2025-01-01T00:00:00Z"}],
            "next_cursor": None,
        },
        {
            "entries": [{"id": True, "text": "x", "created": "2025-01-01T00:00:00Z"}],
            "next_cursor": None,
        },
        {"entries": [{"id": 1, "text": "x", "created": "yesterday"}], "next_cursor": None},
        {
            "entries": [{"id": 1, "text": "x", "created": "2025-01-01T00:00:00"}],
            "next_cursor": None,
        },
        {
            "entries": [{"id": 1, "text": "x", "created": "2025-01-01T00:00:00Z", "extra": 1}],
            "next_cursor": None,
        },
    ],
)
def test_anything_but_a_page_is_refused(data: object) -> None:
    with pytest.raises(ValueError):
        store.Page.from_json(data)


def test_a_cached_value_that_is_not_a_page_is_a_logged_miss(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store.add_message("from the database")
    version = store._pages_version()
    key = f"board:page:{version}:top:{store.DEFAULT_LIMIT}"
    cache.set(key, {"entries": "everything", "next_cursor": None}, store.PAGE_TTL)
    with caplog.at_level(logging.WARNING, logger="board.store"):
        assert texts(store.newest()) == ["from the database"]
    assert f"the cached page {key} is not a page" in caplog.text
    assert store.Page.from_json(cache.get(key)) == store.newest()  # replaced by the real page
