"""Stop at start, in one line, when the configuration is wrong (manage.py and gunicorn use it).

Django would otherwise print a traceback, or gunicorn's workers would each fail to boot; a
one-line error names the variable to fix and the process exits with status 2.
"""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured

CONFIG_ERROR_EXIT = 2


def settings_or_exit() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guestbook.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loading the settings module is the check
    except ImproperlyConfigured as exc:
        print(f"guestbook: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(CONFIG_ERROR_EXIT) from None
