"""The test environment, and the servers the `servers` tests run against.

Unit tests run in-process with the production settings (DEBUG off) on SQLite and the local-memory
cache; only SECURE_SSL_REDIRECT is off, because Django's test client speaks plain HTTP (the HTTPS
settings are tested under gunicorn in test_live.py). The environment below is set before Django's
settings load: pytest.ini names no settings module, this file sets DJANGO_SETTINGS_MODULE and
loads the settings in `pytest_configure`, and pytest-django then sets Django up with them.

When the session includes `servers` tests and PostgreSQL's binaries are there, pytest-django's
test database is created on a PostgreSQL started for the session (`django_db_modify_db_settings`),
so every database test of that run uses PostgreSQL. Missing binaries skip the `servers` tests with
`gitops.localservers.servers_hint()`, or fail them when GUESTBOOK_REQUIRE_SERVERS=1.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import unavailable

SERVICE_DIR = Path(__file__).resolve().parent.parent
# The process's own settings never leak into the tests (a developer's DATABASE_URL, say).
SCRUBBED = (
    "DATABASE_URL",
    "DATABASE_PASSWORD",
    "REDIS_URL",
    "REDIS_REPLICA_URLS",
    "REDIS_PASSWORD",
    "SQLITE_PATH",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_HSTS_SECONDS",
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
)
TEST_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "NODB": "1",
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "WARNING",
}

if "django.conf" in __import__("sys").modules:
    from django.conf import settings as _early

    if _early.configured:
        raise pytest.UsageError(
            "Django's settings were loaded before the guestbook's test environment was set: "
            "unset DJANGO_SETTINGS_MODULE (and --ds) and run `pytest services/guestbook`"
        )
for _name in SCRUBBED:
    os.environ.pop(_name, None)
os.environ.update(TEST_ENV)
os.environ["DJANGO_SETTINGS_MODULE"] = "guestbook.settings"


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    settings.INSTALLED_APPS  # noqa: B018 - loading them now lets pytest-django set Django up
    # {% static %} under DEBUG off would need collectstatic's manifest; unit tests need no files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # whitenoise warns about a missing STATIC_ROOT (a fresh checkout has none until a live test
    # collects into it; git ignores it).
    Path(settings.STATIC_ROOT).mkdir(exist_ok=True)


# --- servers --------------------------------------------------------------------------------------


def servers_missing() -> str | None:
    """Why PostgreSQL and Redis cannot be started here, or None when they can."""
    try:
        from gitops.localservers import missing_servers, servers_hint
    except ImportError as exc:
        return f"gitops.localservers cannot be imported ({exc}): pip install -e . at the repo root"
    missing = missing_servers()
    return f"missing {', '.join(missing)}: {servers_hint()}" if missing else None


def _session_wants_servers(session: pytest.Session) -> bool:
    return any(item.get_closest_marker("servers") for item in session.items)


@pytest.fixture(scope="session")
def servers_root() -> Iterator[Path]:
    """Data folders of the servers. Not under pytest's basetemp: every pytest process that starts
    on the machine resets /tmp/pytest-of-USER to 0700, which would lock PostgreSQL (running as
    another user when we are root) out of its own data folder in the middle of a run."""
    reason = servers_missing()
    if reason:
        unavailable(reason)
    with tempfile.TemporaryDirectory(prefix="guestbook-servers-") as root:
        yield Path(root)


@pytest.fixture(scope="session")
def postgres(servers_root: Path) -> Iterator[object]:
    """The session's PostgreSQL (pytest-django's test database, and the live sites' databases)."""
    from gitops.localservers import postgres_server

    with postgres_server(servers_root / "postgres") as server:
        yield server


@pytest.fixture(scope="session")
def redis(servers_root: Path) -> Iterator[object]:
    """The session's Redis: it requires a password, as the cluster's does (REDIS_PASSWORD)."""
    from gitops.localservers import redis_server

    with redis_server(servers_root / "redis", password=secrets.token_hex(16)) as server:
        yield server


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    request: pytest.FixtureRequest, django_db_modify_db_settings_parallel_suffix: None
) -> None:
    """Put pytest-django's test database on the session's PostgreSQL when server tests run."""
    if not _session_wants_servers(request.session) or servers_missing():
        return
    from django.conf import settings
    from django.db import connections

    from guestbook.env import postgres_database

    server = request.getfixturevalue("postgres")
    config = postgres_database(server.url, password=None, conn_max_age=0, connect_timeout=3)
    settings.DATABASES["default"].update(config)  # the dict Django's connections read
    connections["default"].close()
    del connections["default"]  # the next use builds a PostgreSQL connection from the new dict


@pytest.fixture(autouse=True)
def _fresh_local_cache() -> Iterator[None]:
    """Counters and cached pages do not carry over from one test to the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- live sites (gunicorn serving the service, as the image does) -------------------------------


@pytest.fixture(scope="session")
def collected_static() -> None:
    """collectstatic into the service's staticfiles/ (git-ignored), as the image build does."""
    from tests.live import manage

    manage("collectstatic", "--noinput", "--verbosity", "0", env={"DEBUG": "1", "NODB": "1"})


@pytest.fixture(scope="session")
def live_template(postgres: object) -> str:
    """A migrated database that each live test's database is copied from (CREATE ... TEMPLATE)."""
    from tests.live import create_database, manage, production_env

    url = create_database(postgres.url, "live_template")
    manage("migrate", "--noinput", env=production_env(DATABASE_URL=url))
    return "live_template"


@pytest.fixture
def live_database(postgres: object, live_template: str) -> str:
    """The URL of a fresh, migrated database for one live test."""
    from tests.live import create_database

    return create_database(postgres.url, f"live_{secrets.token_hex(6)}", template=live_template)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def live_site(request: pytest.FixtureRequest, collected_static: None):
    """`with live_site(env, workers=2, threads=4) as site:` gunicorn serving the service.
    A failed test prints the end of each gunicorn log (JSON lines) to help read what happened."""
    try:
        from gitops.localservers import gunicorn_server
    except ImportError as exc:
        unavailable(f"gitops.localservers cannot be imported ({exc}): pip install -e . at the root")

    logs: list[str] = []

    @contextlib.contextmanager
    def start(env: dict[str, str], *, workers: int = 2, threads: int = 4):
        with gunicorn_server(SERVICE_DIR, env, workers=workers, threads=threads) as site:
            try:
                yield site
            finally:
                logs.append(site.log_tail(60))

    yield start
    if request.node.stash.get(FAILED, False):
        for log in logs:
            print(f"--- gunicorn log (last lines) ---\n{log}")
