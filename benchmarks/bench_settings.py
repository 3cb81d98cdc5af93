"""The guestbook's own settings, plus one benchmark-only URL: `/bench/trivial`.

`benchmarks/service.py` runs the service with DJANGO_SETTINGS_MODULE=bench_settings so that the
trivial view goes through the same gunicorn, middleware and settings as the real pages; the
service itself stays unchanged. Static files are collected into BENCH_STATIC_ROOT (a temporary
folder), not into the service's tree.
"""

import os

from guestbook.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
