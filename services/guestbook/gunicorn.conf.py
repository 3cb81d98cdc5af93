"""gunicorn's configuration, read from the environment (README.md documents each variable).

SIGTERM (Kubernetes stopping a pod) is a graceful stop: the listeners close, each worker finishes
the requests it has (up to GUNICORN_GRACEFUL_TIMEOUT seconds), then exits; the manifests give the
pod terminationGracePeriodSeconds 40 = 5 s preStop sleep + 25 s graceful timeout + headroom.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from guestbook.boot import settings_or_exit
from guestbook.env import env_bool
from guestbook.jsonlog import logging_config

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _fail(message: str) -> SystemExit:
    return SystemExit(f"guestbook: configuration error: {message}")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise _fail(f"{name}={raw!r} must be a whole number >= 1")
    return int(raw)


# Without Redis the cache is each process's own memory: one worker, so that the visit counter
# and the cached message pages are the same for every request (threads share that memory).
try:
    shared_cache = bool(os.environ.get("REDIS_URL", "").strip()) and not env_bool("NODB", False)
except ImproperlyConfigured as exc:
    raise _fail(str(exc)) from None

# With Redis: sync workers (one request per process at a time, no GIL to share). Requests are
# short and the ingress controller buffers slow clients, which is the setting gunicorn's docs
# recommend sync workers for; `benchmarks/service.py` measured gthread's threads losing to
# their own GIL contention here (each Redis round trip waits for the GIL behind busy threads).
# Without Redis: one process (its memory is the cache) with threads for concurrency.
bind = [f"0.0.0.0:{_int('PORT', 8000)}"]
workers = _int("WEB_CONCURRENCY", 3 if shared_cache else 1)
threads = _int("GUNICORN_THREADS", 1 if shared_cache else 4)  # > 1 selects the gthread worker
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = 5  # gthread only (sync workers close each connection): the ingress pools them
max_requests = _int(
    "GUNICORN_MAX_REQUESTS", 20000
)  # recycle workers now and then: a leak stays bounded
max_requests_jitter = max_requests // 10

# The heartbeat file on a RAM disk: the root filesystem is read-only and /tmp may be disk-backed.
worker_tmp_dir = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # noqa: S108
control_socket_disable = True  # no runtime control socket: nothing to write it to, nothing uses it

# JSON lines on stdout, for the error log and the access log (guestbook.jsonlog).
accesslog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").strip().lower()
if loglevel not in LOG_LEVELS:
    raise _fail(f"LOG_LEVEL={loglevel!r} is not one of {', '.join(LOG_LEVELS)}")
logconfig_dict = logging_config(
    loglevel.upper(),
    {
        "gunicorn.error": {"handlers": ["stdout"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
)


def on_starting(server: object) -> None:
    """Refuse to start, in one line, on settings Django would reject (no SECRET_KEY, ...)."""
    settings_or_exit()
