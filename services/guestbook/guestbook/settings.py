"""Settings of the guestbook: every value read from the environment, with a documented default.

README.md lists each variable (name, default, meaning) in the order they appear here. DEBUG is
off unless asked for; off means production: SECRET_KEY required, HTTPS-only cookies, HSTS and
redirects (SECURE_SSL_REDIRECT=0 turns those off for plain-HTTP setups such as local tests).
No DATABASE_URL, or NODB=1, runs on SQLite and the local-memory cache with nothing installed.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from guestbook.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    locmem_cache,
    postgres_database,
    redis_cache,
    sqlite_database,
)
from guestbook.jsonlog import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Mode -----------------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set and DEBUG is off: set SECRET_KEY to a long random value "
            "(e.g. from the guestbook-django Secret), or DEBUG=1 for local development"
        )
    SECRET_KEY = secrets.token_urlsafe(50)  # DEBUG only: a fresh key per process, never stored

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- HTTPS (the ingress terminates TLS and says so in X-Forwarded-Proto) -----------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = SECURE_SSL_REDIRECT
CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if SECURE_SSL_REDIRECT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# --- Database -----------------------------------------------------------------------------------
NODB = env_bool("NODB", False)
DATABASE_URL = "" if NODB else env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": postgres_database(
            DATABASE_URL,
            password=env_str("DATABASE_PASSWORD") or None,
            conn_max_age=env_int("CONN_MAX_AGE", 60),
            connect_timeout=env_int("DATABASE_CONNECT_TIMEOUT", 3, minimum=1),
        )
    }
else:
    DATABASES = {
        "default": sqlite_database(env_str("SQLITE_PATH", str(BASE_DIR / "guestbook.sqlite3")))
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: visit counter and message pages -----------------------------------------------------
REDIS_URL = "" if NODB else env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": redis_cache(
            REDIS_URL,
            env_list("REDIS_REPLICA_URLS"),
            password=env_str("REDIS_PASSWORD") or None,
            timeout=env_float("REDIS_TIMEOUT", 0.5),
        )
    }
else:
    CACHES = {"default": locmem_cache()}
# A Redis outage must never become a 5xx: failed cache calls return nothing and are logged.
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# --- Application --------------------------------------------------------------------------------
INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "board",
]
MIDDLEWARE = [
    "guestbook.probes.ProbeMiddleware",  # first: probes answer before host and HTTPS checks
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
]
# The page loads only its own stylesheet and posts only to itself: nothing else may run, load,
# frame it or be framed (a stored message can never become a script, whatever the template does).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "style-src": [SELF],
        "img-src": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
# No browser feature the guestbook has no use for (camera, microphone, location, payment...).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone",
        "payment", "usb", "browsing-topics", "fullscreen", "display-capture", "serial",
    )
}  # fmt: skip
# GET /compute burns up to 2 s of CPU per request, for anyone who asks: only an environment that
# demonstrates its autoscaler turns it on (dev does; prod does not). Off, it answers 404.
COMPUTE_ENABLED = env_bool("COMPUTE_ENABLED", False)
ROOT_URLCONF = "guestbook.urls"
WSGI_APPLICATION = "guestbook.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
# Messages are at most 1000 characters; a body this large is refused before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# --- Static files: collected at image build time, served by whitenoise --------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Logging: one JSON object per line on stdout ------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL={LOG_LEVEL!r} is not DEBUG, INFO, WARNING, ERROR or CRITICAL"
    )
# Django's own handlers (plain-text console in DEBUG) are replaced by the JSON one on the root.
LOGGING = logging_config(
    LOG_LEVEL, {"django": {"handlers": [], "level": LOG_LEVEL, "propagate": True}}
)
