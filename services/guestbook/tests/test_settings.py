"""Configuration from the environment: parsing, production checks, start-up errors, logging."""

from __future__ import annotations

import json
import logging
import runpy
import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from guestbook.env import env_bool, env_list, postgres_database, redis_cache
from guestbook.jsonlog import JsonFormatter
from tests.live import SERVICE_DIR, manage

GUNICORN = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "guestbook.example.com",
    "DATABASE_URL": "postgres://guestbook@postgres:5432/guestbook",
    "DATABASE_PASSWORD": "from-a-secret",
    "REDIS_URL": "redis://redis:6379/0",
}


def test_database_url_becomes_a_postgres_entry_with_health_checked_reuse() -> None:
    db = postgres_database(
        "postgres://gb%40user:url-pw@db.internal:6543/guest%20book?sslmode=require",
        password=None,
        conn_max_age=60,
        connect_timeout=3,
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "gb@user",
        "url-pw",
        "db.internal",
        "6543",
        "guest book",
    )
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True
    assert db["OPTIONS"] == {"connect_timeout": 3, "sslmode": "require"}


def test_database_password_overrides_the_urls() -> None:
    db = postgres_database(
        "postgresql://gb:in-url@db/gb", password="secret", conn_max_age=0, connect_timeout=3
    )
    assert db["PASSWORD"] == "secret"
    assert db["PORT"] == "5432"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://u@h/db", "must start with postgres://"),
        ("postgres://u@h", "needs a host and a database name"),
        ("postgres://u@h:port/db", "port that is not a number"),
    ],
)
def test_bad_database_urls_are_one_clear_line(url: str, says: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=says):
        postgres_database(url, password=None, conn_max_age=0, connect_timeout=3)


def test_redis_replicas_follow_the_primary_in_location() -> None:
    config = redis_cache("redis://primary:6379/0", ["redis://r1:6379/0"], timeout=0.5)
    assert config["LOCATION"] == ["redis://primary:6379/0", "redis://r1:6379/0"]
    assert config["OPTIONS"]["SOCKET_TIMEOUT"] == 0.5
    assert redis_cache("redis://p:6379/0", [], timeout=1)["LOCATION"] == "redis://p:6379/0"
    with pytest.raises(ImproperlyConfigured, match="must start with redis://"):
        redis_cache("http://p:6379", [], timeout=1)


def test_redis_password_goes_to_the_primary_and_the_replicas() -> None:
    """One password in OPTIONS: django-redis's connection factory gives it to every LOCATION."""
    config = redis_cache("redis://p:6379/0", ["redis://r:6379/0"], password="pw", timeout=1)
    assert config["OPTIONS"]["PASSWORD"] == "pw"
    assert "PASSWORD" not in redis_cache("redis://p:6379/0", [], timeout=1)["OPTIONS"]
    assert "PASSWORD" not in redis_cache("redis://p:6379/0", [], password="", timeout=1)["OPTIONS"]


def test_settings_read_redis_password_from_the_environment() -> None:
    show = "from django.conf import settings; print(settings.CACHES['default']['OPTIONS'])"
    env = {**PRODUCTION, "REDIS_PASSWORD": "from-the-secret"}
    options = manage("shell", "--no-startup", "-c", show, env=env).stdout
    assert "'PASSWORD': 'from-the-secret'" in options
    assert "PASSWORD" not in manage("shell", "--no-startup", "-c", show, env=PRODUCTION).stdout


def test_env_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG='maybe' is not a boolean"):
        env_bool("FLAG", False)
    monkeypatch.setenv("HOSTS", " a.example , ,b.example ")
    assert env_list("HOSTS") == ["a.example", "b.example"]
    assert env_list("UNSET_VARIABLE", ["x"]) == ["x"]


def test_check_deploy_passes_with_production_settings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_a_plain_http_setup() -> None:
    env = {**PRODUCTION, "SECURE_SSL_REDIRECT": "0"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, check=False)
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"DEBUG": "0"}, "SECRET_KEY is not set and DEBUG is off"),
        ({"DEBUG": "perhaps", "SECRET_KEY": "x"}, "DEBUG='perhaps' is not a boolean"),
        ({"SECRET_KEY": "x", "DATABASE_URL": "mysql://db/x"}, "must start with postgres://"),
    ],
)
def test_manage_py_stops_with_one_line_on_bad_configuration(env: dict, says: str) -> None:
    result = manage("check", env=env, check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("guestbook: configuration error: ")
    assert says in lines[0]


def test_gunicorn_refuses_to_start_without_secret_key() -> None:
    result = subprocess.run(
        [*GUNICORN, "--bind", "127.0.0.1:0", "guestbook.wsgi:application"],
        cwd=SERVICE_DIR,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "0"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY is not set" in lines[0]


@pytest.mark.parametrize(
    ("env", "workers", "threads"),
    [
        ({}, 1, 4),  # local memory cache: one process shares it
        ({"REDIS_URL": "redis://r:6379/0"}, 3, 1),  # sync workers: see gunicorn.conf.py
        ({"REDIS_URL": "redis://r:6379/0", "NODB": "1"}, 1, 4),
        ({"WEB_CONCURRENCY": "5", "GUNICORN_THREADS": "1"}, 5, 1),
    ],
)
def test_gunicorn_workers_and_threads(
    monkeypatch: pytest.MonkeyPatch, env: dict, workers: int, threads: int
) -> None:
    for name in ("REDIS_URL", "NODB", "WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = runpy.run_path(str(SERVICE_DIR / "gunicorn.conf.py"))
    assert (config["workers"], config["threads"]) == (workers, threads)
    assert config["worker_class"] == ("gthread" if threads > 1 else "sync")
    assert config["graceful_timeout"] == 25
    assert config["bind"] == ["0.0.0.0:8000"]


def test_json_log_lines_carry_access_fields_and_exceptions() -> None:
    formatter = JsonFormatter()
    atoms = {"h": "10.0.0.1", "m": "GET", "U": "/", "q": "", "s": "200", "B": 512, "D": 1500}
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, "%(m)s", (atoms,), None
    )
    line = json.loads(formatter.format(record))
    assert line["logger"] == "gunicorn.access"
    assert (line["method"], line["path"], line["status"], line["bytes"]) == ("GET", "/", 200, 512)
    assert line["duration_ms"] == 1.5
    assert "query" not in line
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        error = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "x", (), sys.exc_info()
        )
    out = formatter.format(error)
    assert "\n" not in out
    assert "RuntimeError: boom" in json.loads(out)["exception"]


def test_the_readme_says_when_workers_are_recycled() -> None:
    """The README's figure is gunicorn.conf.py's default, not a number of its own."""
    import re
    from pathlib import Path

    service = Path(__file__).resolve().parent.parent
    config = (service / "gunicorn.conf.py").read_text()
    default = int(re.search(r'"GUNICORN_MAX_REQUESTS", (\d+)', config)[1])
    readme = (service / "README.md").read_text()
    said = re.search(r"recycled after about ([\d,]+) requests", readme)
    assert said and int(said[1].replace(",", "")) == default
    assert f"| `GUNICORN_MAX_REQUESTS` | `{default}` |" in readme
