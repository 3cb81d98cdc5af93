"""Messages and visits through the cache: the counter lives in Redis, message pages are cached.

Counter: `cache.incr` is atomic in Redis (INCRBY), so N concurrent visits add exactly N; a missing
key is created with `cache.add` (which only one of several racing requests wins) and counted again.

Message pages are cached under a *version* that every new message increments, after its row is
committed. A reader reads the version before it queries, so a page computed from a snapshot taken
before a write can only be stored under the old version, which nobody reads any more: a new
message is on the very next read, with no race between a write and a concurrent cache fill. The
version is read from the Redis primary (replicas may lag); the pages themselves may come from a
replica, since a page under a fresh version that has not replicated yet is just a miss. A version
that is lost (eviction, flush) starts again at a random value, not at 1, so it cannot meet pages
stored under an old one.

The page at `/` counts a visit and reads the version in one pipelined round trip to the primary
(`visit_and_version`); the rendered page is then kept per process under that version, since the
version alone says whether it is still current.

With Redis down every cache call returns nothing (DJANGO_REDIS_IGNORE_EXCEPTIONS): the counter
shows as unavailable and pages come straight from the database.

What is cached is JSON data, never pickled objects (guestbook.serializers): a page is stored as
`Page.as_json()` and rebuilt with `Page.from_json`, which refuses anything else; a cached value
that does not decode or is not a page is a miss, logged, and the page is computed again.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache, caches
from django.db import transaction
from django.db.models import Q
from django_redis.cache import RedisCache
from redis.exceptions import RedisError

from board.models import Message

VISITS_KEY = "board:visits"
VERSION_KEY = "board:pages:version"
PAGE_TTL = 60  # seconds; bounds staleness if a version bump itself is lost to a Redis outage
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(\d{1,18})-(\d{1,18})$")
log = logging.getLogger(__name__)


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last message's (created, id). Opaque to clients."""

    created: datetime
    id: int

    def encode(self) -> str:
        return f"{(self.created - _EPOCH) // timedelta(microseconds=1)}-{self.id}"

    @classmethod
    def decode(cls, token: str) -> Cursor:
        match = _CURSOR.match(token)
        if match is None:
            raise InvalidCursor("before must be a cursor from a previous page's next_cursor")
        try:
            created = _EPOCH + timedelta(microseconds=int(match[1]))
        except OverflowError:
            raise InvalidCursor("before is out of range") from None
        return cls(created, int(match[2]))


@dataclass(frozen=True)
class Entry:
    id: int
    text: str
    created: datetime

    def as_json(self) -> dict[str, Any]:
        created = self.created.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return {"id": self.id, "text": self.text, "created": created}

    @classmethod
    def from_json(cls, data: Any) -> Entry:
        """The entry `as_json` gave; ValueError for anything else."""
        if not isinstance(data, dict) or data.keys() != {"id", "text", "created"}:
            raise ValueError("an entry is an object with id, text and created")
        id_, text, created = data["id"], data["text"], data["created"]
        if type(id_) is not int or not isinstance(text, str) or not isinstance(created, str):
            raise ValueError("an entry's id is a whole number, its text and created are strings")
        when = datetime.fromisoformat(created)
        if when.tzinfo is None:
            raise ValueError("an entry's created time has no time zone")
        return cls(id_, text, when)


@dataclass(frozen=True)
class Page:
    entries: tuple[Entry, ...]
    next_cursor: str | None  # None on the last page

    def as_json(self) -> dict[str, Any]:
        """The page as JSON data: what the cache stores (never the object itself)."""
        return {"entries": [e.as_json() for e in self.entries], "next_cursor": self.next_cursor}

    @classmethod
    def from_json(cls, data: Any) -> Page:
        """The page `as_json` gave; ValueError for anything else."""
        if not isinstance(data, dict) or data.keys() != {"entries", "next_cursor"}:
            raise ValueError("a page is an object with entries and next_cursor")
        entries, next_cursor = data["entries"], data["next_cursor"]
        if not isinstance(entries, list):
            raise ValueError("a page's entries are a list")
        if next_cursor is not None:
            if not isinstance(next_cursor, str):
                raise ValueError("a page's next_cursor is a string or null")
            Cursor.decode(next_cursor)  # InvalidCursor is a ValueError
        return cls(tuple(Entry.from_json(entry) for entry in entries), next_cursor)


def add_message(text: str) -> Entry:
    """Store a message (already validated) and make every cached page obsolete once committed."""
    message = Message.objects.create(text=text)
    transaction.on_commit(_bump_pages_version)
    return _entry(message)


def newest(limit: int = DEFAULT_LIMIT, before: Cursor | None = None) -> Page:
    """At most `limit` messages, newest first, older than `before` when given."""
    limit = max(1, min(limit, MAX_LIMIT))
    version = _pages_version()
    if version is None:  # no cache reachable
        return _query(limit, before)
    key = f"board:page:{version}:{before.encode() if before else 'top'}:{limit}"
    page = _cached_page(key)
    if page is None:
        page = _query(limit, before)
        cache.set(key, page.as_json(), PAGE_TTL)
    return page


def _cached_page(key: str) -> Page | None:
    """The page cached under `key`; None when there is none or what is there is not a page
    (a value that is not even JSON already reads as None: guestbook.serializers)."""
    data = cache.get(key)
    if data is None:
        return None
    try:
        return Page.from_json(data)
    except ValueError as exc:
        log.warning("the cached page %s is not a page (%s): ignored and read as a miss", key, exc)
        return None


def count_visit() -> int | None:
    """One more visit; the new total, or None when the cache cannot be reached."""
    try:
        return cache.incr(VISITS_KEY)
    except ValueError:  # the first visit, or the key was evicted: create it, then count
        cache.add(VISITS_KEY, 0, timeout=None)
    try:
        return cache.incr(VISITS_KEY)
    except ValueError:
        return None


def visits() -> int | None:
    """The total without counting (for pages that are not a visit, such as a form error)."""
    value = _primary_get(VISITS_KEY)
    return value if isinstance(value, int) else None


def _query(limit: int, before: Cursor | None) -> Page:
    rows = Message.objects.order_by("-created", "-id")
    if before is not None:
        rows = rows.filter(
            Q(created__lt=before.created) | Q(created=before.created, id__lt=before.id)
        )
    found = [_entry(m) for m in rows[: limit + 1]]
    entries = tuple(found[:limit])
    more = len(found) > limit
    next_cursor = Cursor(entries[-1].created, entries[-1].id).encode() if more else None
    return Page(entries, next_cursor)


def _entry(message: Message) -> Entry:
    return Entry(message.pk, message.text, message.created)


def _pages_version() -> int | None:
    version = _primary_get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, secrets.randbits(62), timeout=None)
        version = _primary_get(VERSION_KEY)
    return version if isinstance(version, int) else None


def _bump_pages_version() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # lost: any fresh random version differs from the ones pages are under
        cache.add(VERSION_KEY, secrets.randbits(62), timeout=None)
    except TypeError:  # not a number (django-redis read it back as None or a string): replace it
        log.warning("the pages version in the cache is not a number: replaced by a fresh one")
        cache.set(VERSION_KEY, secrets.randbits(62), timeout=None)


def _primary_get(key: str) -> Any:
    """A read that must see the latest write: from the Redis primary, not a replica."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return backend.get(key, client=backend.client.get_client(write=True))
    return backend.get(key)


def visit_and_version() -> tuple[int | None, int | None]:
    """Count a visit and read the pages version: (visits, version), None for what is unreachable.

    On Redis both happen in one pipelined round trip to the primary: a plain INCR (which creates
    the counter at 1 when it is missing, atomically) and a GET. django-redis stores integers as
    plain numbers, so the INCR acts on the same value `cache.incr` does.
    """
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return count_visit(), _pages_version()
    try:
        pipe = backend.client.get_client(write=True).pipeline(transaction=False)
        pipe.incr(backend.client.make_key(VISITS_KEY))
        pipe.get(backend.client.make_key(VERSION_KEY))
        visits, raw_version = pipe.execute()
    except RedisError as exc:  # an outage: the page is served without the counter
        log.warning("redis unavailable for the visit counter: %s", exc)
        return None, None
    version = backend.client.decode(raw_version) if raw_version is not None else _pages_version()
    return int(visits), version if isinstance(version, int) else None
