"""Kubernetes probes, answered by the first middleware: before SecurityMiddleware (no HTTPS
redirect: the kubelet speaks plain HTTP) and before anything calls `request.get_host()` (the
kubelet sends the pod IP as Host, which ALLOWED_HOSTS rightly does not list).

/healthz is liveness: the process answers, nothing else is touched (a database outage must not
make the kubelet restart every pod). /readyz is readiness: PostgreSQL answers and every migration
is applied (200, else 503); Redis is reported but never fails it, since the site runs without it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_redis import get_redis_connection
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PROBE_METHODS = frozenset({"GET", "HEAD"})
NO_STORE = {"Cache-Control": "no-store"}

_migrations_applied = False  # once true, stays true for the life of the process


class ProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        if request.method not in PROBE_METHODS:
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD", **NO_STORE})
        return probe()


def healthz() -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8", headers=NO_STORE)


def readyz() -> HttpResponse:
    database = database_status()
    migrations = migrations_status() if database == "ok" else "unknown"
    ready = database == "ok" and migrations == "ok"
    body = {
        "status": "ready" if ready else "not ready",
        "database": database,
        "migrations": migrations,
        "redis": redis_status(),
    }
    if not ready:
        log.warning("not ready: database %s, migrations %s", database, migrations)
    return JsonResponse(body, status=200 if ready else 503, headers=NO_STORE)


def database_status() -> str:
    """`ok`, or why not. A new connection waits at most DATABASE_CONNECT_TIMEOUT seconds."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return f"unavailable ({_one_line(exc)})"
    return "ok"


def migrations_status() -> str:
    """`ok` when nothing is left to apply; the check reads migration files, so its success is
    remembered (a pod's code does not change; the migration Job runs before new pods start)."""
    global _migrations_applied  # noqa: PLW0603 - a per-process memo, set once
    if _migrations_applied:
        return "ok"
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return f"unknown ({type(exc).__name__})"
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:3])
        return f"{len(plan)} unapplied ({names}): run manage.py migrate"
    _migrations_applied = True
    return "ok"


def redis_status() -> str:
    if not settings.CACHES["default"]["BACKEND"].startswith("django_redis."):
        return "not configured"
    try:
        get_redis_connection("default", write=True).ping()
    except (RedisError, OSError) as exc:
        return f"unavailable ({type(exc).__name__})"
    return "ok"


def _one_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


PROBES: dict[str, Callable[[], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}
