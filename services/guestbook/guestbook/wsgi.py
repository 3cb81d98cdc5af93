"""The WSGI entry point gunicorn serves: `guestbook.wsgi:application`."""

from __future__ import annotations

import os

from django.core.cache import caches
from django.core.wsgi import get_wsgi_application
from django.template.loader import get_template
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guestbook.settings")

application = get_wsgi_application()


def import_lazy_modules() -> None:
    """Import now, on the worker's main thread, what the first requests would import lazily.

    A gthread worker's first requests arrive on several threads at once; each would import the
    URLconf, the views and the cache client's modules, and concurrent imports of redis-py's
    circular modules can fail with importlib's _DeadlockError (seen as 500s right after start).
    """
    get_resolver().url_patterns  # noqa: B018 - the URLconf, the views, the store
    get_template("board/home.html")  # the template engine and its tag libraries
    getattr(caches["default"], "client", None)  # django-redis's client class (no connection yet)


import_lazy_modules()
