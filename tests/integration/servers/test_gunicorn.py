"""gunicorn on loopback (`localservers.gunicorn`), with a stand-in project so that this does not
depend on the service."""

from __future__ import annotations

import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from gitops.errors import GitopsError
from gitops.localservers import gunicorn_server

pytestmark = pytest.mark.servers


STANDIN_CONF = """
import os
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
graceful_timeout = 5
"""

STANDIN_WSGI = """
import os
def application(environ, start_response):
    if environ["PATH_INFO"] == "/healthz":
        body = os.environ.get("GREETING", "?").encode()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no"]
"""


def _standin_service(root: Path, wsgi: str) -> Path:
    (root / "guestbook").mkdir(parents=True)
    (root / "gunicorn.conf.py").write_text(textwrap.dedent(STANDIN_CONF))
    (root / "guestbook" / "__init__.py").write_text("")
    (root / "guestbook" / "wsgi.py").write_text(textwrap.dedent(wsgi))
    return root


def test_gunicorn_serves_on_loopback_and_stops_on_sigterm(
    tmp_path: Path, assert_gone, session_members
) -> None:
    pytest.importorskip("gunicorn", reason="pip install gunicorn (services/guestbook/requirements)")
    service = _standin_service(tmp_path / "svc", STANDIN_WSGI)
    with gunicorn_server(service, {"GREETING": "hi"}, workers=2, threads=2) as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
            assert response.read() == b"hi"
        deadline = time.monotonic() + 10
        while len(session_members(server.pid)) < 3:  # the master and its two workers
            assert time.monotonic() < deadline, session_members(server.pid)
            time.sleep(0.05)
        assert server.terminate() == 0
        assert_gone(server.pid)


def test_gunicorn_that_cannot_load_the_app_raises_with_its_stderr(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn", reason="pip install gunicorn (services/guestbook/requirements)")
    service = _standin_service(tmp_path / "svc", "raise ImportError('no module named djangoo')\n")
    with pytest.raises(GitopsError, match="djangoo"), gunicorn_server(service, {}):
        pass
