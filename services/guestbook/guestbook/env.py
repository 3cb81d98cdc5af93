"""Reading settings from the environment: typed getters that fail with one clear line.

Every getter raises ImproperlyConfigured naming the variable and what it expected, so a bad
value stops the process at start (see `guestbook.boot`) instead of surfacing as a 500 later.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})
POSTGRES_SCHEMES = frozenset({"postgres", "postgresql"})


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off"
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below its minimum of {minimum}")
    return value


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise ImproperlyConfigured(f"{name}={raw!r} must be above zero")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks around items and empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def postgres_database(
    url: str, *, password: str | None, conn_max_age: int, connect_timeout: int
) -> dict[str, Any]:
    """Django's DATABASES entry for `postgres://user[:password]@host[:port]/name[?option=value]`.

    `password` (DATABASE_PASSWORD) replaces the URL's, so the URL can sit in a ConfigMap and the
    password in a Secret. Query options (sslmode, ...) are passed to libpq as they are.
    """
    parts = urlsplit(url)
    if parts.scheme not in POSTGRES_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// (got {parts.scheme or 'no'} scheme)"
        )
    name = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not name:
        raise ImproperlyConfigured(
            "DATABASE_URL needs a host and a database name: postgres://USER@HOST:5432/NAME"
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("DATABASE_URL has a port that is not a number") from None
    options: dict[str, Any] = {"connect_timeout": connect_timeout}
    options.update(parse_qsl(parts.query))
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": password if password else unquote(parts.password or ""),
        "HOST": parts.hostname,
        "PORT": str(port or 5432),
        # Persistent connections, checked before reuse: a restarted PostgreSQL costs one
        # reconnect per worker thread instead of a failed request.
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }


def sqlite_database(path: str) -> dict[str, Any]:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}


def redis_cache(
    primary: str, replicas: list[str], *, password: str | None = None, timeout: float
) -> dict[str, Any]:
    """django-redis with one primary and optional read replicas (LOCATION's first entry is the
    primary, the others are read from). Short socket timeouts: a Redis outage must slow a request
    by at most `timeout` seconds per call, never hang it (the errors themselves are ignored).

    `password` (REDIS_PASSWORD) is sent (AUTH) to the primary and to every replica, so the URLs
    can sit in a ConfigMap and the password in a Secret; a URL that carries a password of its own
    (redis://:PASSWORD@host) keeps it (redis-py lets the URL's win)."""
    for url in (primary, *replicas):
        if urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
            raise ImproperlyConfigured(
                f"Redis URL {url!r} must start with redis://, rediss:// or unix://"
            )
    options: dict[str, Any] = {
        "SOCKET_CONNECT_TIMEOUT": timeout,
        "SOCKET_TIMEOUT": timeout,
        # JSON, never pickle: what comes back from Redis is data, not code (guestbook.serializers)
        "SERIALIZER": "guestbook.serializers.JSONSerializer",
    }
    if password:
        options["PASSWORD"] = password
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": [primary, *replicas] if replicas else primary,
        "KEY_PREFIX": "guestbook",
        "OPTIONS": options,
    }


def locmem_cache() -> dict[str, Any]:
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "guestbook"}
