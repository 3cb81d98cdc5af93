"""Helpers for tests against a live gunicorn: plain HTTP, databases on the session's PostgreSQL,
and the production environment the image runs with."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

SERVICE_DIR = Path(__file__).resolve().parent.parent
VISITS = re.compile(r"Visits: <strong>(\d+)</strong>")
REQUIRE_SERVERS = os.environ.get("GUESTBOOK_REQUIRE_SERVERS") == "1"


def unavailable(reason: str) -> None:
    """Skip, or fail under GUESTBOOK_REQUIRE_SERVERS=1 (CI), where a missing tool is a defect."""
    if REQUIRE_SERVERS:
        pytest.fail(f"{reason} (GUESTBOOK_REQUIRE_SERVERS=1)", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    headers: dict[str, str]


def request(
    url: str,
    method: str = "GET",
    path: str = "/",
    *,
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 15.0,
) -> Reply:
    """One request on its own connection (Host defaults to 127.0.0.1:PORT, as a browser's)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        return Reply(resp.status, text, {k.lower(): v for k, v in resp.getheaders()})
    finally:
        conn.close()


def visits(html: str) -> int | None:
    match = VISITS.search(html)
    return int(match[1]) if match else None


def production_env(**overrides: str) -> dict[str, str]:
    """What the Deployment gives the container (DEBUG off), minus HTTPS: tests speak plain HTTP."""
    env = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "INFO",
    }
    env.update(overrides)
    return env


def redis_env(server: Any) -> dict[str, str]:
    """The settings that point the service at a `gitops.localservers` Redis: its URL, and its
    password apart (REDIS_PASSWORD, from a Secret in the cluster)."""
    return {"REDIS_URL": server.url, "REDIS_PASSWORD": server.password}


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(server_url: str, name: str, *, template: str | None = None) -> str:
    """CREATE DATABASE on the server of `server_url` (copied from `template`); its URL."""
    import psycopg2

    conn = psycopg2.connect(server_url.replace("postgres://", "postgresql://", 1))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            cursor.execute(sql)
    finally:
        conn.close()
    return with_database(server_url, name)


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    """`python manage.py ARGS` in a clean environment (only PATH and HOME of this process)."""
    base = {k: os.environ[k] for k in ("PATH", "HOME") if k in os.environ}
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SERVICE_DIR,
        env={**base, "LANG": "C.UTF-8", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and result.returncode != 0:
        command = " ".join(args)
        output = f"{result.stdout}\n{result.stderr}"
        raise AssertionError(f"manage.py {command} exited {result.returncode}:\n{output}")
    return result
