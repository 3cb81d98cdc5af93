"""How cached values are stored in Redis: JSON, never pickle.

django-redis's default serializer is pickle, and unpickling runs whatever the bytes say: anything
that can write a key into Redis could make every web pod that reads it run code. JSON only ever
gives back data (dicts, lists, strings, numbers, booleans, None), which the service checks before
using it (`board.store.Page.from_json`). Integers do not go through the serializer: django-redis
stores them as plain numbers, so the visit counter's INCR works on them.

A value that is not JSON (a pickle written by hand, an older release's pickled page, a truncated
write) reads as None, which every caller in the service takes as a miss (none passes a default),
and is logged as a warning; the page is then computed again and stored as JSON over it.

Only the Redis cache uses this; the local-memory cache (no REDIS_URL) stays in the process.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django_redis.serializers.base import BaseSerializer

log = logging.getLogger(__name__)


class JSONSerializer(BaseSerializer):
    """Strict JSON: writing anything JSON cannot hold exactly (a datetime, a dataclass, NaN) is an
    error, never a lossy conversion; reading anything that is not JSON is a logged miss."""

    def dumps(self, value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()

    def loads(self, value: bytes) -> Any:
        try:
            return json.loads(value.decode("utf-8"))
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError, JSONDecodeError
            log.warning(
                "a cached value is not JSON (%s, %d bytes): ignored and read as a miss",
                type(exc).__name__,
                len(value),
            )
            return None
